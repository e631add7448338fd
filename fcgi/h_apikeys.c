/* API keys: create (the secret is shown once), list, revoke.  The rules and audit rows are
 * src/vg_apikey.c's, shared with veogenctl; this file speaks JSON. */
#include "config.h"

#include "handlers.h"
#include "vg_apikey.h"
#include "vg_json.h"

/* The caller, for the audit rows the library writes. */
static struct vg_actor actor_of(const struct vg_req *r)
{
	return (struct vg_actor){.user_id = r->who.user_id,
	                         .via = "api",
	                         .ip = r->remote_addr,
	                         .request_id = r->request_id};
}

int h_apikeys_create(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	static const char *const allowed[] = {"name", NULL};
	struct vg_actor actor = actor_of(r);
	const char *name = NULL;
	struct vg_apikey key;

	json_t *body = vg_req_json(r, err);
	if (!body)
		return err->rc;
	if (vg_json_require_object(body, err) != VG_OK)
		return err->rc;
	vg_json_reject_unknown(body, allowed, err);
	const json_t *given = json_object_get(body, "name");
	if (!given || json_is_null(given))
		vg_err_field(err, "name", "is required: a label of 1 to %d characters",
		             VG_APIKEY_NAME_MAX);
	else
		vg_json_str(r->a, body, "name", 1, VG_APIKEY_NAME_MAX, &name, err);
	if (err->rc != VG_OK)
		return err->rc;

	if (vg_apikey_create(r->db, r->a, r->who.user_id, name, &actor, &key, err) != VG_OK)
		return err->rc;
	json_t *out = vg_json_own(r->a, json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", key.id, "name",
	                                          key.name, "key", key.key, "prefix", key.prefix,
	                                          "created_at", vg_json_time(key.created_at)));
	vg_resp_json(w, 201, out);
	return VG_OK;
}

int h_apikeys_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct vg_apikey *keys;
	int n;

	if (vg_apikey_list(r->db, r->a, r->who.user_id, &keys, &n, err) != VG_OK)
		return err->rc;
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(
		    items, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", keys[i].id, "name",
		                     keys[i].name, "prefix", keys[i].prefix, "created_at",
		                     vg_json_time(keys[i].created_at), "last_used_at",
		                     vg_json_time(keys[i].last_used_at)));
	vg_resp_json(w, 200, vg_json_own(r->a, json_pack("{s:o}", "items", items)));
	return VG_OK;
}

int h_apikeys_delete(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct vg_actor actor = actor_of(r);
	const char *id = r->nparams > 0 ? r->params[0] : NULL;

	/* Another user's key answers exactly like a key that never existed. */
	if (vg_apikey_revoke(r->db, r->a, r->who.user_id, id, &actor, err) != VG_OK)
		return err->rc;
	vg_resp_status(w, 204);
	return VG_OK;
}
