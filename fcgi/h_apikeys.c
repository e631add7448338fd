/* API keys: create (the secret is shown once), list, revoke.  Only the SHA-256 of a key
 * is stored; revoked_at makes fcgi_auth refuse it at once. */
#include "config.h"

#include "handlers.h"
#include "vg_account.h"
#include "vg_auth.h"
#include "vg_json.h"
#include "vg_str.h"

#define API_KEY_NAME_MAX 100

static void audit_key(struct vg_req *r, const char *action, const char *key_id, json_t *details)
{
	vg_json_own(r->a, details);
	vg_audit(r->db, r->a, r->who.user_id, action, "api_key", key_id, r->remote_addr,
	         r->request_id, vg_json_dump(r->a, details));
}

int h_apikeys_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	static const char *const allowed[] = {"name", NULL};
	const char *name = NULL;
	struct vg_api_key key;

	json_t *body = vg_req_json(r, err);
	if (!body)
		return err->rc;
	if (vg_json_require_object(body, err) != VG_OK)
		return err->rc;
	vg_json_reject_unknown(body, allowed, err);
	const json_t *given = json_object_get(body, "name");
	if (!given || json_is_null(given))
		vg_err_field(err, "name", "is required: a label of 1 to %d characters",
		             API_KEY_NAME_MAX);
	else
		vg_json_str(r->a, body, "name", 1, API_KEY_NAME_MAX, &name, err);
	if (err->rc != VG_OK)
		return err->rc;

	vg_api_key_new(r->a, &key);
	PGresult *res = vg_db_q(r->db, r->a, err,
	                        "INSERT INTO api_keys (user_id, name, prefix, key_hash) "
	                        "VALUES ($1, $2, $3, $4) "
	                        "RETURNING id, vg_rfc3339(created_at) AS created_at",
	                        r->who.user_id, name, key.prefix, key.hash);
	if (!res)
		return err->rc;
	const char *id = vg_db_get(res, 0, "id");
	audit_key(r, "apikey.create", id,
	          json_pack("{s:s, s:s}", "name", name, "prefix", key.prefix));

	json_t *out =
	    vg_json_own(r->a, json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", id, "name", name, "key",
	                                key.key, "prefix", key.prefix, "created_at",
	                                vg_json_time(vg_db_get(res, 0, "created_at"))));
	vg_resp_json(w, 201, out);
	return VG_OK;
}

int h_apikeys_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	PGresult *res = vg_db_q(r->db, r->a, err,
	                        "SELECT id, name, prefix, vg_rfc3339(created_at) AS created_at, "
	                        "vg_rfc3339(last_used_at) AS last_used_at FROM api_keys "
	                        "WHERE user_id = $1 AND revoked_at IS NULL "
	                        "ORDER BY created_at DESC, id DESC",
	                        r->who.user_id);
	if (!res)
		return err->rc;

	json_t *items = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(
		    items,
		    json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", vg_db_get(res, i, "id"), "name",
		              vg_db_get(res, i, "name"), "prefix", vg_db_get(res, i, "prefix"),
		              "created_at", vg_json_time(vg_db_get(res, i, "created_at")),
		              "last_used_at", vg_json_time(vg_db_get(res, i, "last_used_at"))));
	vg_resp_json(w, 200, vg_json_own(r->a, json_pack("{s:o}", "items", items)));
	return VG_OK;
}

int h_apikeys_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *id = r->nparams > 0 ? r->params[0] : NULL;

	/* Another user's key answers exactly like a key that never existed. */
	if (!id || !vg_str_is_uuid(id))
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no API key with this id");
	PGresult *res =
	    vg_db_q(r->db, r->a, err,
	            "UPDATE api_keys SET revoked_at = now() "
	            "WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING prefix",
	            id, r->who.user_id);
	if (!res)
		return err->rc;
	if (PQntuples(res) != 1)
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no API key with this id");
	audit_key(r, "apikey.revoke", id,
	          json_pack("{s:s}", "prefix", vg_db_get(res, 0, "prefix")));
	vg_resp_status(w, 204);
	return VG_OK;
}
