/* Who is calling: an access JWT or an API key.  The account's state comes from the database
 * (through a cache that NOTIFY invalidates) and API keys are looked up on every request, so
 * disabling a user or revoking a key takes effect at once. */
#include "config.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "fcgi_auth.h"
#include "fcgi_usercache.h"
#include "vg_auth.h"
#include "vg_log.h"
#include "vg_str.h"

static int need_credentials(struct vg_err *err)
{
	return vg_err_set(err, VG_EAUTH, "unauthorized",
	                  "authentication required: send Authorization: Bearer <access token> "
	                  "or X-API-Key: <API key>");
}

/* Who the user is now: from the NOTIFY-invalidated cache, else the database. */
static int user_status(struct vg_req *r, const char *user_id, struct vg_user_status *st,
                       struct vg_err *err)
{
	PGresult *res;

	if (vg_usercache_get(r, user_id, st))
		return VG_OK;
	res = vg_db_q(r->db, r->a, err,
	              "SELECT role, disabled, (quota_video_seconds_month IS NOT NULL OR "
	              "quota_cost_usd_month IS NOT NULL) AS has_quota FROM users WHERE id = $1",
	              user_id);
	if (!res)
		return err->rc;
	if (PQntuples(res) != 1)
		return vg_err_set(err, VG_EAUTH, "unauthorized",
		                  "the account of this token no longer exists: sign in again");
	vg_strlcpy(st->role, vg_db_get(res, 0, "role"), sizeof st->role);
	st->disabled = vg_db_get_bool(res, 0, "disabled");
	st->has_quota = vg_db_get_bool(res, 0, "has_quota");
	vg_usercache_put(r, user_id, st);
	return VG_OK;
}

static int load_user(struct vg_req *r, const char *user_id, struct vg_err *err)
{
	struct vg_user_status st;
	int rc;

	if (!vg_str_is_uuid(user_id))
		return vg_err_set(err, VG_EAUTH, "unauthorized",
		                  "the token names no valid account: sign in again");
	if ((rc = user_status(r, user_id, &st, err)) != VG_OK)
		return rc;
	if (st.disabled)
		return vg_err_set(err, VG_EFORBIDDEN, "account_disabled",
		                  "this account is disabled: contact an administrator");
	vg_strlcpy(r->who.user_id, user_id, sizeof r->who.user_id);
	vg_strlcpy(r->who.role, st.role, sizeof r->who.role);
	/* a default of the config applies to every account whose own quota is NULL */
	r->who.has_quota = st.has_quota || r->conf->quotas_video_seconds_month > 0 ||
	                   r->conf->quotas_cost_usd_month > 0;
	r->who.authenticated = true;
	return VG_OK;
}

static int auth_jwt(struct vg_req *r, const char *token, struct vg_err *err)
{
	struct vg_claims claims;
	int rc = vg_jwt_verify(r->conf, token, time(NULL), &claims, err);

	if (rc != VG_OK)
		return rc;
	if ((rc = load_user(r, claims.sub, err)) != VG_OK)
		return rc;
	vg_strlcpy(r->who.jti, claims.jti, sizeof r->who.jti);
	r->who.token_exp = claims.exp;
	return VG_OK;
}

static int auth_api_key(struct vg_req *r, const char *key, struct vg_err *err)
{
	const char *hash = vg_sha256_hex(r->a, key, strlen(key));
	PGresult *res =
	    vg_db_q(r->db, r->a, err,
	            "SELECT k.id, k.user_id, (k.last_used_at IS NULL OR k.last_used_at < now() - "
	            "interval '60 seconds') AS stale FROM api_keys k WHERE k.key_hash = $1 AND "
	            "k.revoked_at IS NULL",
	            hash);
	int rc;

	if (!res)
		return err->rc;
	if (PQntuples(res) != 1)
		return vg_err_set(err, VG_EAUTH, "invalid_api_key",
		                  "the API key is not valid or was revoked: create a new one");
	if ((rc = load_user(r, vg_db_get(res, 0, "user_id"), err)) != VG_OK)
		return rc;
	vg_strlcpy(r->who.api_key_id, vg_db_get(res, 0, "id"), sizeof r->who.api_key_id);
	/* last_used_at to the minute: one write a minute per key, not one per request */
	if (vg_db_get_bool(res, 0, "stale")) {
		struct vg_err uerr;
		vg_err_clear(&uerr);
		if (!vg_db_q(r->db, r->a, &uerr,
		             "UPDATE api_keys SET last_used_at = now() WHERE id = $1",
		             r->who.api_key_id))
			log_warnx("last_used_at of an API key not updated: %s", uerr.msg);
	}
	return VG_OK;
}

int vg_authenticate(struct vg_req *r, struct vg_err *err)
{
	const char *authz = vg_req_param(r, "HTTP_AUTHORIZATION");
	const char *xkey = vg_req_param(r, "HTTP_X_API_KEY");
	const char *cred = NULL;

	memset(&r->who, 0, sizeof r->who);
	if (authz && *authz) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return vg_err_set(err, VG_EAUTH, "unauthorized",
			                  "the Authorization header must be \"Bearer <token>\"");
		cred = authz + 7;
		while (*cred == ' ')
			cred++;
	} else if (xkey && *xkey) {
		cred = xkey;
	}
	if (!cred || !*cred)
		return need_credentials(err);
	/* before any parsing: an API key is far shorter than the smallest allowed limit */
	size_t n = strlen(cred), max = (size_t)r->conf->limits_max_jwt_bytes;
	if (n > max)
		return vg_err_set(err, VG_EAUTH, "token_too_long",
		                  "the token is %zu bytes; at most %zu bytes are accepted "
		                  "(limits.max_jwt_bytes): send the access token or API key you "
		                  "were given",
		                  n, max);
	if (strncmp(cred, "vg_", 3) == 0)
		return auth_api_key(r, cred, err);
	if (xkey && !authz)
		return vg_err_set(err, VG_EAUTH, "invalid_api_key",
		                  "X-API-Key must hold an API key (vg_…)");
	return auth_jwt(r, cred, err);
}

int vg_auth_revoke_jti(struct vg_req *r, const char *jti, long long exp, struct vg_err *err)
{
	long long ttl = exp - (long long)time(NULL) + r->conf->auth_leeway_s;
	const char *argv[5];
	redisReply *rep;

	if (ttl <= 0)
		return VG_OK;
	argv[0] = "SET";
	argv[1] = vg_arena_printf(r->a, VG_REVOKED_KEY_PREFIX "%s", jti);
	argv[2] = "1";
	argv[3] = "EX";
	argv[4] = vg_arena_printf(r->a, "%lld", ttl);
	rep = vg_redis_cmdv(r->redis, r->a, err, 5, argv);
	if (!rep)
		return err->rc;
	if (rep->type == REDIS_REPLY_ERROR)
		return vg_err_set(err, VG_EUNAVAIL, NULL, "cannot record the logout: %s", rep->str);
	return VG_OK;
}
