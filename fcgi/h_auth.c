/* Sessions: register, login, refresh-token rotation and logout.
 *
 * A session is a short-lived access JWT plus an opaque refresh token stored as SHA-256 in
 * refresh_tokens.  Refresh tokens rotate: each use marks the row used and issues a child in
 * the same family; presenting a used token again revokes the whole family (token theft). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fcgi_auth.h"
#include "fcgi_ratelimit.h"
#include "handlers.h"
#include "vg_account.h"
#include "vg_auth.h"
#include "vg_json.h"
#include "vg_log.h"

/* Windows of the limits.failed_logins_* and limits.registrations_per_address budgets. */
#define LOGIN_FAIL_WINDOW_S   900
#define REGISTRATION_WINDOW_S 3600

#define REFRESH_TOKEN_BYTES 32
/* Tokens we issue are 43 characters; anything much longer cannot be one of ours. */
#define REFRESH_TOKEN_MAX_LEN 256
#define LOGIN_EMAIL_MAX_LEN   254

#define BAD_CREDENTIALS  "email or password is wrong"
#define ACCOUNT_DISABLED "this account is disabled: contact an administrator"
#define REFRESH_INVALID  "the refresh token is invalid, expired or revoked: log in again"

#define USER_COLUMNS                                                                               \
	"id, email, display_name, role, disabled, password_hash, "                                 \
	"vg_rfc3339(created_at) AS created_at"

static const char *client_addr(const struct vg_req *r)
{
	return r->remote_addr && r->remote_addr[0] ? r->remote_addr : "unknown";
}

/* A budget ran out: the 429 carries the RateLimit-* headers API.md asks for and says what
 * was limited. */
static int throttled(struct vg_resp *w, struct vg_err *err, int limit, const char *what)
{
	int wait_s = err->retry_after > 0 ? err->retry_after : 1;

	vg_resp_header(w, "RateLimit-Limit", "%d", limit);
	vg_resp_header(w, "RateLimit-Remaining", "0");
	vg_resp_header(w, "RateLimit-Reset", "%d", wait_s);
	vg_err_set(err, VG_ERATE, "rate_limited", "too many %s: wait %d seconds and try again",
	           what, wait_s);
	err->retry_after = wait_s;
	return VG_ERATE;
}

/* A string field read as sent (no trimming: passwords and tokens are taken verbatim).
 * *out is NULL when absent or null; a field error is added when required and absent or when
 * the value is not a string. */
static void raw_string(const json_t *obj, const char *key, bool required, const char **out,
                       struct vg_err *err)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			vg_err_field(err, key, "is required");
		return;
	}
	if (!json_is_string(v)) {
		vg_err_field(err, key, "must be a string");
		return;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		vg_err_field(err, key, "must not contain NUL characters");
		return;
	}
	*out = json_string_value(v);
}

/* Parses the body as a JSON object holding only the allowed keys. */
static json_t *object_body(struct vg_req *r, const char *const *allowed, struct vg_err *err)
{
	json_t *body = vg_req_json(r, err);

	if (!body)
		return NULL;
	if (vg_json_require_object(body, err) != VG_OK)
		return NULL;
	vg_json_reject_unknown(body, allowed, err);
	return body;
}

static json_t *user_json(const PGresult *res)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:o}", "id", vg_db_get(res, 0, "id"), "email",
	                 vg_db_get(res, 0, "email"), "display_name",
	                 vg_json_str_or_null(vg_db_get(res, 0, "display_name")), "role",
	                 vg_db_get(res, 0, "role"), "created_at",
	                 vg_json_time(vg_db_get(res, 0, "created_at")));
}

/* Stores a new refresh token (in family_id, or a new family when NULL) and mints an access
 * token for the user in `user`; *out gets {user, access_token, refresh_token, token_type,
 * expires_in} owned by the request arena. */
static int issue_session(struct vg_req *r, const PGresult *user, const char *family_id,
                         json_t **out, struct vg_err *err)
{
	const char *user_id = vg_db_get(user, 0, "id");
	const char *role = vg_db_get(user, 0, "role");
	struct vg_claims claims;
	char ttl[16];

	char *refresh = vg_random_token(r->a, REFRESH_TOKEN_BYTES);
	char *hash = vg_sha256_hex(r->a, refresh, strlen(refresh));
	snprintf(ttl, sizeof ttl, "%d", r->conf->auth_refresh_ttl_s);
	PGresult *res =
	    vg_db_q(r->db, r->a, err,
	            "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) "
	            "VALUES ($1, COALESCE($2::uuid, gen_random_uuid()), $3, "
	            "now() + $4::int * interval '1 second')",
	            user_id, family_id, hash, ttl);
	if (!res)
		return err->rc;

	char *access = vg_jwt_mint(r->a, r->conf, user_id, role, time(NULL), &claims);
	if (!access) {
		log_warnx("cannot mint an access token for user %s: check the auth key files",
		          user_id);
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "the server could not sign an access token; try again later");
	}
	*out = vg_json_own(r->a,
	                   json_pack("{s:o, s:s, s:s, s:s, s:i}", "user", user_json(user),
	                             "access_token", access, "refresh_token", refresh, "token_type",
	                             "Bearer", "expires_in", r->conf->auth_access_ttl_s));
	return VG_OK;
}

static void audit(struct vg_req *r, const char *user_id, const char *action, json_t *details)
{
	const char *details_json = "{}";

	if (details) {
		vg_json_own(r->a, details);
		details_json = vg_json_dump(r->a, details);
	}
	vg_audit(r->db, r->a, user_id, action, user_id ? "user" : NULL, user_id, r->remote_addr,
	         r->request_id, details_json);
}

int h_auth_register(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	static const char *const allowed[] = {"email", "password", "display_name", NULL};
	const char *email, *password, *display_name;
	char *user_id;
	json_t *session;

	json_t *body = object_body(r, allowed, err);
	if (!body)
		return err->rc;
	/* Only types are checked here: vg_account_create owns the rules for the values and
	 * reports every bad field at once. */
	int errors_before = err->nfields; /* unknown fields */
	raw_string(body, "email", false, &email, err);
	raw_string(body, "password", false, &password, err);
	raw_string(body, "display_name", false, &display_name, err);
	if (err->nfields > errors_before)
		return err->rc;

	if (err->rc == VG_OK) {
		const char *key = vg_arena_printf(r->a, "vg:reg:addr:%s", client_addr(r));
		if (vg_ratelimit_hit(r, key, r->conf->limits_registrations_per_address,
		                     REGISTRATION_WINDOW_S, true, err) == VG_ERATE)
			return throttled(w, err, r->conf->limits_registrations_per_address,
			                 "registrations from this address");
	}

	if (vg_account_create(r->db, r->a, r->conf, email, password, display_name, "user", &user_id,
	                      err) != VG_OK)
		return err->rc;
	PGresult *user =
	    vg_db_q(r->db, r->a, err, "SELECT " USER_COLUMNS " FROM users WHERE id = $1", user_id);
	if (!user)
		return err->rc;
	if (PQntuples(user) != 1)
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "the new account vanished before it could sign in; log in");
	if (issue_session(r, user, NULL, &session, err) != VG_OK)
		return err->rc;
	audit(r, user_id, "auth.register", NULL);
	vg_resp_json(w, 201, session);
	return VG_OK;
}

/* Lower-cased (ASCII) email, hashed so Redis keys stay short and hold no addresses. */
static const char *account_key(struct vg_req *r, const char *email)
{
	char *lower = vg_arena_strdup(r->a, email);

	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return vg_arena_printf(r->a, "vg:loginfail:acct:%s",
	                       vg_sha256_hex(r->a, lower, strlen(lower)));
}

/* Counts one failed login against the account and the address (the answer stays 401 even
 * when this failure reaches a limit: the next attempt gets the 429). */
static void count_login_failure(struct vg_req *r, const char *acct_key, const char *addr_key)
{
	struct vg_err ignored;

	vg_err_clear(&ignored);
	vg_ratelimit_hit(r, acct_key, r->conf->limits_failed_logins_per_account,
	                 LOGIN_FAIL_WINDOW_S, true, &ignored);
	vg_err_clear(&ignored);
	vg_ratelimit_hit(r, addr_key, r->conf->limits_failed_logins_per_address,
	                 LOGIN_FAIL_WINDOW_S, true, &ignored);
}

int h_auth_login(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	static const char *const allowed[] = {"email", "password", NULL};
	const char *email, *password;
	const PGresult *user = NULL;
	json_t *session;

	json_t *body = object_body(r, allowed, err);
	if (!body)
		return err->rc;
	raw_string(body, "email", true, &email, err);
	raw_string(body, "password", true, &password, err);
	if (err->rc != VG_OK)
		return err->rc;

	/* Throttle before spending a KDF run; only failures are counted. */
	const char *acct_key = account_key(r, email);
	const char *addr_key = vg_arena_printf(r->a, "vg:loginfail:addr:%s", client_addr(r));
	if (vg_ratelimit_hit(r, addr_key, r->conf->limits_failed_logins_per_address,
	                     LOGIN_FAIL_WINDOW_S, false, err) == VG_ERATE)
		return throttled(w, err, r->conf->limits_failed_logins_per_address,
		                 "failed logins from this address");
	if (vg_ratelimit_hit(r, acct_key, r->conf->limits_failed_logins_per_account,
	                     LOGIN_FAIL_WINDOW_S, false, err) == VG_ERATE)
		return throttled(w, err, r->conf->limits_failed_logins_per_account,
		                 "failed logins for this account");

	if (strlen(email) <= LOGIN_EMAIL_MAX_LEN) {
		user = vg_db_q(r->db, r->a, err,
		               "SELECT " USER_COLUMNS " FROM users WHERE lower(email) = lower($1)",
		               email);
		if (!user)
			return err->rc;
		if (PQntuples(user) != 1)
			user = NULL;
	}
	/* Runs the KDF on a dummy hash for unknown accounts, so both answers take as long. */
	bool ok = vg_password_verify(password, user ? vg_db_get(user, 0, "password_hash") : NULL,
	                             r->conf->auth_scrypt_n_log2);
	const char *user_id = user ? vg_db_get(user, 0, "id") : NULL;
	if (!ok) {
		count_login_failure(r, acct_key, addr_key);
		audit(r, user_id, "auth.login_failed",
		      json_pack("{s:s}", "reason", user ? "wrong_password" : "unknown_email"));
		return vg_err_set(err, VG_EAUTH, "bad_credentials", BAD_CREDENTIALS);
	}
	if (vg_db_get_bool(user, 0, "disabled")) {
		audit(r, user_id, "auth.login_failed", json_pack("{s:s}", "reason", "disabled"));
		return vg_err_set(err, VG_EFORBIDDEN, "account_disabled", ACCOUNT_DISABLED);
	}
	if (issue_session(r, user, NULL, &session, err) != VG_OK)
		return err->rc;
	audit(r, user_id, "auth.login", NULL);
	vg_resp_json(w, 200, session);
	return VG_OK;
}

/* The token was not usable.  When it exists and was already rotated, someone replayed it:
 * revoke its whole family (the thief and the owner both have to log in again).  Runs inside
 * the caller's transaction and ends it. */
static int refresh_refused(struct vg_req *r, const char *hash, struct vg_err *err)
{
	PGresult *res = vg_db_q(r->db, r->a, err,
	                        "SELECT user_id, family_id FROM refresh_tokens "
	                        "WHERE token_hash = $1 AND used_at IS NOT NULL",
	                        hash);
	if (!res || PQntuples(res) != 1) {
		vg_db_rollback(r->db);
		if (!res)
			return err->rc;
		return vg_err_set(err, VG_EAUTH, "invalid_refresh_token", REFRESH_INVALID);
	}
	const char *user_id = vg_db_get(res, 0, "user_id");
	const char *family_id = vg_db_get(res, 0, "family_id");
	if (!vg_db_q(r->db, r->a, err,
	             "UPDATE refresh_tokens SET revoked_at = now() "
	             "WHERE family_id = $1 AND revoked_at IS NULL",
	             family_id) ||
	    vg_db_commit(r->db, r->a, err) != VG_OK) {
		vg_db_rollback(r->db);
		return err->rc;
	}
	log_warnx("refresh token reuse for user %s: family %s revoked", user_id, family_id);
	audit(r, user_id, "auth.refresh_reuse", json_pack("{s:s}", "family_id", family_id));
	return vg_err_set(err, VG_EAUTH, "refresh_token_reused",
	                  "this refresh token was already used, so every session started from it "
	                  "has been signed out: log in again");
}

int h_auth_refresh(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	static const char *const allowed[] = {"refresh_token", NULL};
	const char *token;
	json_t *session;

	json_t *body = object_body(r, allowed, err);
	if (!body)
		return err->rc;
	raw_string(body, "refresh_token", true, &token, err);
	if (err->rc != VG_OK)
		return err->rc;
	if (token[0] == '\0' || strlen(token) > REFRESH_TOKEN_MAX_LEN)
		return vg_err_set(err, VG_EAUTH, "invalid_refresh_token", REFRESH_INVALID);

	const char *hash = vg_sha256_hex(r->a, token, strlen(token));
	if (vg_db_begin(r->db, r->a, err) != VG_OK)
		return err->rc;
	/* The row lock taken here serialises two concurrent uses of one token: the second
	 * sees used_at set and is treated as reuse. */
	PGresult *used = vg_db_q(r->db, r->a, err,
	                         "UPDATE refresh_tokens SET used_at = now() "
	                         "WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL "
	                         "AND expires_at > now() RETURNING user_id, family_id",
	                         hash);
	if (!used) {
		vg_db_rollback(r->db);
		return err->rc;
	}
	if (PQntuples(used) != 1)
		return refresh_refused(r, hash, err);

	PGresult *user =
	    vg_db_q(r->db, r->a, err, "SELECT " USER_COLUMNS " FROM users WHERE id = $1",
	            vg_db_get(used, 0, "user_id"));
	if (!user || PQntuples(user) != 1) {
		vg_db_rollback(r->db);
		return user ? vg_err_set(err, VG_EAUTH, "invalid_refresh_token", REFRESH_INVALID)
		            : err->rc;
	}
	if (vg_db_get_bool(user, 0, "disabled")) {
		vg_db_rollback(r->db);
		return vg_err_set(err, VG_EFORBIDDEN, "account_disabled", ACCOUNT_DISABLED);
	}
	if (issue_session(r, user, vg_db_get(used, 0, "family_id"), &session, err) != VG_OK ||
	    vg_db_commit(r->db, r->a, err) != VG_OK) {
		vg_db_rollback(r->db);
		return err->rc;
	}
	vg_resp_json(w, 200, session);
	return VG_OK;
}

/* The body is optional: {refresh_token} narrows the logout to that token's family. */
static int logout_token(struct vg_req *r, const char **token, struct vg_err *err)
{
	static const char *const allowed[] = {"refresh_token", NULL};

	*token = NULL;
	if (vg_req_read_body(r, err) != VG_OK)
		return err->rc;
	if (r->body_len == 0)
		return VG_OK;
	json_t *body = object_body(r, allowed, err);
	if (!body)
		return err->rc;
	raw_string(body, "refresh_token", false, token, err);
	return err->rc;
}

int h_auth_logout(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	const char *token;
	PGresult *res;

	if (!r->who.jti[0])
		return vg_err_set(err, VG_EFORBIDDEN, "not_a_session",
		                  "logout ends a login session and needs its access token; an API "
		                  "key is revoked with DELETE /api/v1/api-keys/{id}");
	if (logout_token(r, &token, err) != VG_OK)
		return err->rc;

	if (token) {
		const char *hash = vg_sha256_hex(r->a, token, strlen(token));
		res = vg_db_q(r->db, r->a, err,
		              "UPDATE refresh_tokens SET revoked_at = now() "
		              "WHERE user_id = $1 AND revoked_at IS NULL AND family_id = "
		              "(SELECT family_id FROM refresh_tokens WHERE token_hash = $2)",
		              r->who.user_id, hash);
	} else {
		/* Which family the access token came from is not recorded: end them all. */
		res = vg_db_q(r->db, r->a, err,
		              "UPDATE refresh_tokens SET revoked_at = now() "
		              "WHERE user_id = $1 AND revoked_at IS NULL",
		              r->who.user_id);
	}
	if (!res)
		return err->rc;

	struct vg_err redis_err;
	vg_err_clear(&redis_err);
	if (vg_auth_revoke_jti(r, r->who.jti, r->who.token_exp, &redis_err) != VG_OK)
		log_warnx("logout of user %s: access token %s stays valid until it expires: %s",
		          r->who.user_id, r->who.jti, redis_err.msg);
	audit(r, r->who.user_id, "auth.logout",
	      json_pack("{s:s}", "scope", token ? "family" : "all_sessions"));
	vg_resp_status(w, 204);
	return VG_OK;
}
