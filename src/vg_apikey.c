/* API keys: the rules the API and veogenctl share. */
#include "config.h"

#include <jansson.h>
#include <string.h>

#include "vg_account.h"
#include "vg_apikey.h"
#include "vg_auth.h"
#include "vg_json.h"
#include "vg_str.h"

/* The API's rows keep the details they always had; other callers say who acted and for
 * whom, since their audit row has no user. */
static void audit_key(struct vg_db *db, struct vg_arena *a, const struct vg_actor *actor,
                      const char *action, const char *key_id, const char *owner_id, json_t *details)
{
	vg_json_own(a, details);
	if (actor->via && strcmp(actor->via, "api") != 0) {
		json_object_set_new(details, "user_id", json_string(owner_id));
		json_object_set_new(details, "via", json_string(actor->via));
	}
	vg_audit(db, a, actor->user_id, action, "api_key", key_id, actor->ip, actor->request_id,
	         vg_json_dump(a, details));
}

/* Trimmed copy of name in arena memory, or NULL with the field error "name". */
static const char *checked_name(struct vg_arena *a, const char *name, struct vg_err *err)
{
	size_t n, chars;
	const char *t;

	if (!name) {
		vg_err_field(err, "name", "is required: a label of 1 to %d characters",
		             VG_APIKEY_NAME_MAX);
		return NULL;
	}
	t = vg_str_trim(name, &n);
	if (!vg_str_utf8_valid(t, n)) {
		vg_err_field(err, "name", "must be valid UTF-8 text");
		return NULL;
	}
	chars = vg_str_utf8_len(t, n);
	if (chars < 1 || chars > VG_APIKEY_NAME_MAX) {
		vg_err_field(err, "name", "must be 1 to %d characters", VG_APIKEY_NAME_MAX);
		return NULL;
	}
	return vg_arena_strndup(a, t, n);
}

int vg_apikey_create(struct vg_db *db, struct vg_arena *a, const char *user_id, const char *name,
                     const struct vg_actor *actor, struct vg_apikey *out, struct vg_err *err)
{
	struct vg_api_key key;

	memset(out, 0, sizeof *out);
	if (!(name = checked_name(a, name, err)))
		return err->rc;
	if (!user_id || !vg_str_is_uuid(user_id))
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no account with this id");
	vg_api_key_new(a, &key);
	PGresult *res = vg_db_q(db, a, err,
	                        "INSERT INTO api_keys (user_id, name, prefix, key_hash) "
	                        "VALUES ($1, $2, $3, $4) "
	                        "RETURNING id, vg_rfc3339(created_at) AS created_at",
	                        user_id, name, key.prefix, key.hash);
	if (!res)
		return err->rc;
	out->id = vg_db_get(res, 0, "id");
	out->name = name;
	out->key = key.key;
	out->prefix = key.prefix;
	out->created_at = vg_db_get(res, 0, "created_at");
	audit_key(db, a, actor, "apikey.create", out->id, user_id,
	          json_pack("{s:s, s:s}", "name", name, "prefix", key.prefix));
	return VG_OK;
}

int vg_apikey_list(struct vg_db *db, struct vg_arena *a, const char *user_id,
                   struct vg_apikey **items, int *n, struct vg_err *err)
{
	PGresult *res = vg_db_q(db, a, err,
	                        "SELECT id, name, prefix, vg_rfc3339(created_at) AS created_at, "
	                        "vg_rfc3339(last_used_at) AS last_used_at FROM api_keys "
	                        "WHERE user_id = $1 AND revoked_at IS NULL "
	                        "ORDER BY created_at DESC, id DESC",
	                        user_id);

	*items = NULL;
	*n = 0;
	if (!res)
		return err->rc;
	*n = PQntuples(res);
	*items = vg_arena_alloc(a, sizeof **items * (size_t)(*n > 0 ? *n : 1));
	for (int i = 0; i < *n; i++)
		(*items)[i] = (struct vg_apikey){
		    .id = vg_db_get(res, i, "id"),
		    .name = vg_db_get(res, i, "name"),
		    .prefix = vg_db_get(res, i, "prefix"),
		    .created_at = vg_db_get(res, i, "created_at"),
		    .last_used_at = vg_db_get(res, i, "last_used_at"),
		};
	return VG_OK;
}

int vg_apikey_revoke(struct vg_db *db, struct vg_arena *a, const char *owner_id, const char *key_id,
                     const struct vg_actor *actor, struct vg_err *err)
{
	if (!key_id || !vg_str_is_uuid(key_id))
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no API key with this id");
	/* $2 NULL: any owner (the command line acts for everyone) */
	PGresult *res = vg_db_q(db, a, err,
	                        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND "
	                        "($2::uuid IS NULL OR user_id = $2::uuid) AND revoked_at IS NULL "
	                        "RETURNING prefix, user_id",
	                        key_id, owner_id);
	if (!res)
		return err->rc;
	if (PQntuples(res) != 1)
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no API key with this id");
	audit_key(db, a, actor, "apikey.revoke", key_id, vg_db_get(res, 0, "user_id"),
	          json_pack("{s:s}", "prefix", vg_db_get(res, 0, "prefix")));
	return VG_OK;
}
