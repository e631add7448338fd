/* Accounts: the rules for a new user, written once for register and `veogenctl user add`,
 * and the audit trail. */
#include "config.h"

#include <jansson.h>
#include <string.h>

#include "vg_account.h"
#include "vg_auth.h"
#include "vg_log.h"
#include "vg_str.h"

#define EMAIL_MAX_BYTES        254
#define EMAIL_LOCAL_MAX_BYTES  64
#define PASSWORD_MIN_CHARS     10
#define PASSWORD_MAX_BYTES     1024
#define DISPLAY_NAME_MAX_CHARS 100

/* The a@b.c shape: one @, a non-empty local part, a dotted domain without empty labels, no
 * spaces or control characters.  Deliverability is the mail server's business. */
static bool email_shaped(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);

	if (!at || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	size_t local = (size_t)(at - s);
	const char *domain = at + 1;
	size_t dn = n - local - 1;
	if (local == 0 || local > EMAIL_LOCAL_MAX_BYTES || dn < 3)
		return false;
	if (!memchr(domain, '.', dn) || domain[0] == '.' || domain[dn - 1] == '.' ||
	    domain[0] == '-' || domain[dn - 1] == '-')
		return false;
	for (size_t i = 1; i < dn; i++)
		if (domain[i] == '.' && domain[i - 1] == '.')
			return false;
	return true;
}

static const char *check_email(struct vg_arena *a, const char *email, struct vg_err *err)
{
	size_t n;
	const char *t;

	if (!email) {
		vg_err_field(err, "email", "is required");
		return NULL;
	}
	t = vg_str_trim(email, &n);
	if (n == 0)
		vg_err_field(err, "email", "is required");
	else if (n > EMAIL_MAX_BYTES)
		vg_err_field(err, "email", "must be at most %d bytes", EMAIL_MAX_BYTES);
	else if (!vg_str_utf8_valid(t, n) || !email_shaped(t, n))
		vg_err_field(err, "email", "must be an email address like name@example.com");
	else
		return vg_arena_strndup(a, t, n);
	return NULL;
}

static bool check_password(const char *password, struct vg_err *err)
{
	size_t n;

	if (!password || !*password) {
		vg_err_field(err, "password", "is required");
		return false;
	}
	n = strlen(password);
	if (n > PASSWORD_MAX_BYTES) {
		vg_err_field(err, "password", "must be at most %d bytes", PASSWORD_MAX_BYTES);
		return false;
	}
	if (!vg_str_utf8_valid(password, n)) {
		vg_err_field(err, "password", "must be valid UTF-8 text");
		return false;
	}
	if (vg_str_utf8_len(password, n) < PASSWORD_MIN_CHARS) {
		vg_err_field(err, "password", "must be at least %d characters", PASSWORD_MIN_CHARS);
		return false;
	}
	return true;
}

/* Optional: NULL or blank is stored as NULL.  *ok is false after a field error. */
static const char *check_display_name(struct vg_arena *a, const char *name, bool *ok,
                                      struct vg_err *err)
{
	size_t n;
	const char *t;

	*ok = true;
	if (!name)
		return NULL;
	t = vg_str_trim(name, &n);
	if (n == 0)
		return NULL;
	if (!vg_str_utf8_valid(t, n)) {
		vg_err_field(err, "display_name", "must be valid UTF-8 text");
		*ok = false;
	} else if (vg_str_utf8_len(t, n) > DISPLAY_NAME_MAX_CHARS) {
		vg_err_field(err, "display_name", "must be at most %d characters",
		             DISPLAY_NAME_MAX_CHARS);
		*ok = false;
	}
	return *ok ? vg_arena_strndup(a, t, n) : NULL;
}

int vg_account_create(struct vg_db *db, struct vg_arena *a, const struct vg_conf *c,
                      const char *email, const char *password, const char *display_name,
                      const char *role, char **id_out, struct vg_err *err)
{
	bool name_ok;
	const char *clean_email = check_email(a, email, err);
	bool password_ok = check_password(password, err);
	const char *clean_name = check_display_name(a, display_name, &name_ok, err);

	if (!role)
		role = "user";
	bool role_ok = strcmp(role, "user") == 0 || strcmp(role, "admin") == 0;
	if (!role_ok)
		vg_err_field(err, "role", "must be user or admin");
	/* err may also hold the caller's field errors: create nothing while any is open. */
	if (!clean_email || !password_ok || !name_ok || !role_ok || err->rc == VG_EINVAL)
		return VG_EINVAL;

	char *hash = vg_password_hash(a, password, c->auth_scrypt_n_log2);
	if (!hash) {
		log_warnx("account: the password could not be hashed");
		return vg_err_set(err, VG_EINTERNAL, NULL,
		                  "the password could not be hashed: it has been logged");
	}
	/* Stored as lower(email), the same expression the unique index uses. */
	PGresult *r = vg_db_q(db, a, err,
	                      "INSERT INTO users (email, password_hash, display_name, role) "
	                      "VALUES (lower($1), $2, $3, $4) RETURNING id",
	                      clean_email, hash, clean_name, role);
	if (!r) {
		if (err->rc == VG_ECONFLICT)
			return vg_err_set(err, VG_ECONFLICT, NULL,
			                  "an account with this email already exists");
		return err->rc;
	}
	*id_out = vg_arena_strdup(a, vg_db_get(r, 0, "id"));
	log_info("account created id=%s role=%s", *id_out, role);
	return VG_OK;
}

/* Text the server would refuse (not UTF-8) is dropped rather than failing the INSERT. */
static const char *audit_text(const char *action, const char *what, const char *s)
{
	if (!s || vg_str_utf8_valid(s, strlen(s)))
		return s;
	log_warnx("audit %s: %s is not UTF-8: recorded as null", action, what);
	return NULL;
}

void vg_audit(struct vg_db *db, struct vg_arena *a, const char *user_id, const char *action,
              const char *target_type, const char *target_id, const char *ip,
              const char *request_id, const char *details_json)
{
	struct vg_err err;

	vg_err_clear(&err);
	if (!action || !*action || !vg_str_utf8_valid(action, strlen(action))) {
		log_warnx("audit: a record without an action was dropped (a bug in the caller)");
		return;
	}
	/* Checked here, because a failed INSERT would abort the caller's transaction. */
	if (user_id && !vg_str_is_uuid(user_id)) {
		log_warnx("audit %s: user id %s is not a UUID: recorded without a user", action,
		          user_id);
		user_id = NULL;
	}
	target_type = audit_text(action, "target_type", target_type);
	target_id = audit_text(action, "target_id", target_id);
	ip = audit_text(action, "ip", ip);
	request_id = audit_text(action, "request_id", request_id);
	if (details_json) {
		json_error_t jerr;
		json_t *d = json_loads(details_json, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(d)) {
			log_warnx("audit %s: details are not a JSON object: recorded as {}",
			          action);
			details_json = NULL;
		}
		json_decref(d);
	}
	if (!vg_db_q(db, a, &err,
	             "INSERT INTO audit_log (user_id, action, target_type, target_id, ip, "
	             "request_id, details) VALUES ($1::uuid, $2, $3, $4, $5, $6, "
	             "coalesce($7::jsonb, '{}'::jsonb))",
	             user_id, action, target_type, target_id, ip, request_id, details_json))
		log_warnx("audit %s not recorded: %s", action, err.msg);
}
