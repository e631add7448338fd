/* Administering accounts: one transaction per change, serialised by an advisory lock so two
 * admins demoting each other at once cannot leave the installation without one. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "vg_account.h"
#include "vg_json.h"
#include "vg_str.h"
#include "vg_useradmin.h"

#define QUOTA_SECONDS_MAX 1000000000ULL
/* numeric(12, 4): eight digits before the point, four after */
#define COST_INT_DIGITS 8
#define COST_DECIMALS   4
/* Any constant will do: every caller of vg_useradmin_update takes the same lock. */
#define USERADMIN_LOCK "SELECT pg_advisory_xact_lock(hashtext('veogen.useradmin'))"

/* The columns a change may touch, as the audit row names them. */
static const char *const tracked[] = {"role", "disabled", "quota_video_seconds_month",
                                      "quota_cost_usd_month"};

static bool valid_cost(const char *s)
{
	size_t whole = strspn(s, "0123456789"), frac = 0;

	if (whole == 0 || whole > COST_INT_DIGITS)
		return false;
	if (s[whole] == '.') {
		frac = strspn(s + whole + 1, "0123456789");
		if (frac == 0 || frac > COST_DECIMALS)
			return false;
		return s[whole + 1 + frac] == '\0';
	}
	return s[whole] == '\0';
}

/* Field errors for everything wrong in chg at once; VG_OK when it may be applied. */
static int check_change(const struct vg_user_change *chg, struct vg_err *err)
{
	uint64_t secs;

	if (chg->role && strcmp(chg->role, "user") != 0 && strcmp(chg->role, "admin") != 0)
		vg_err_field(err, "role", "must be \"user\" or \"admin\"");
	if (chg->disabled < -1 || chg->disabled > 1)
		vg_err_field(err, "disabled", "must be true or false");
	if (chg->set_quota_seconds && chg->quota_seconds &&
	    !vg_str_u64(chg->quota_seconds, QUOTA_SECONDS_MAX, &secs))
		vg_err_field(err, "quota_video_seconds_month",
		             "must be a whole number of seconds from 0 to %llu (0 = no limit), "
		             "or null for the configured default",
		             QUOTA_SECONDS_MAX);
	if (chg->set_quota_cost && chg->quota_cost && !valid_cost(chg->quota_cost))
		vg_err_field(err, "quota_cost_usd_month",
		             "must be an amount in USD from 0 to 99999999.9999 with at most %d "
		             "decimals (0 = no limit), or null for the configured default",
		             COST_DECIMALS);
	return err->nfields > 0 ? VG_EINVAL : VG_OK;
}

/* A column of a users row as the JSON value the audit details show. */
static json_t *column_json(const PGresult *row, const char *col)
{
	const char *v = vg_db_get(row, 0, col);
	int64_t n;

	if (!v)
		return json_null();
	if (strcmp(col, "disabled") == 0)
		return json_boolean(vg_db_get_bool(row, 0, col));
	if (strcmp(col, "quota_video_seconds_month") == 0 &&
	    vg_str_i64(v, INT64_MIN, INT64_MAX, &n))
		return json_integer(n);
	if (strcmp(col, "quota_cost_usd_month") == 0)
		return json_real(strtod(v, NULL));
	return json_string(v);
}

/* {before, after, via} of the columns that changed; NULL when none did. */
static const char *change_details(struct vg_arena *a, const PGresult *before, const PGresult *after,
                                  const char *via)
{
	json_t *d = vg_json_own(a, json_pack("{s:o, s:o, s:s}", "before", json_object(), "after",
	                                     json_object(), "via", via));
	bool changed = false;

	for (size_t i = 0; i < sizeof tracked / sizeof tracked[0]; i++) {
		if (vg_str_eq(vg_db_get(before, 0, tracked[i]), vg_db_get(after, 0, tracked[i])))
			continue;
		json_object_set_new(json_object_get(d, "before"), tracked[i],
		                    column_json(before, tracked[i]));
		json_object_set_new(json_object_get(d, "after"), tracked[i],
		                    column_json(after, tracked[i]));
		changed = true;
	}
	return changed ? vg_json_dump(a, d) : NULL;
}

/* VG_ECONFLICT last_admin when the row is the only enabled admin and would stop being one. */
static int keep_an_admin(struct vg_db *db, struct vg_arena *a, const PGresult *before,
                         const struct vg_user_change *chg, struct vg_err *err)
{
	bool is_admin = vg_str_eq(vg_db_get(before, 0, "role"), "admin") &&
	                !vg_db_get_bool(before, 0, "disabled");
	bool stays = (!chg->role || strcmp(chg->role, "admin") == 0) && chg->disabled != 1;

	if (!is_admin || stays)
		return VG_OK;
	PGresult *res = vg_db_q(db, a, err,
	                        "SELECT count(*) AS n FROM users WHERE role = 'admin' AND NOT "
	                        "disabled AND id <> $1",
	                        vg_db_get(before, 0, "id"));
	if (!res)
		return err->rc;
	if (vg_db_get_ll(res, 0, "n", 0) > 0)
		return VG_OK;
	return vg_err_set(err, VG_ECONFLICT, "last_admin",
	                  "%s is the last enabled admin: give another account the admin role "
	                  "first (veogenctl user set-role EMAIL admin)",
	                  vg_db_get(before, 0, "email"));
}

static PGresult *apply_change(struct vg_db *db, struct vg_arena *a, const char *user_id,
                              const struct vg_user_change *chg, struct vg_err *err)
{
	/* $4/$6 say whether to touch a quota: NULL in $5/$7 is a value (the default) */
	return vg_db_q(db, a, err,
	               "UPDATE users SET role = coalesce($2, role), disabled = CASE WHEN "
	               "$3::int < 0 THEN disabled ELSE $3::int = 1 END, "
	               "quota_video_seconds_month = CASE WHEN $4::bool THEN $5::integer ELSE "
	               "quota_video_seconds_month END, quota_cost_usd_month = CASE WHEN $6::bool "
	               "THEN $7::numeric ELSE quota_cost_usd_month END, updated_at = now() "
	               "WHERE id = $1 RETURNING " VG_USERADMIN_COLUMNS,
	               user_id, chg->role,
	               chg->disabled < 0 ? "-1"
	               : chg->disabled   ? "1"
	                                 : "0",
	               chg->set_quota_seconds ? "true" : "false",
	               chg->set_quota_seconds ? chg->quota_seconds : NULL,
	               chg->set_quota_cost ? "true" : "false",
	               chg->set_quota_cost ? chg->quota_cost : NULL);
}

/* The body of the transaction; the caller commits or rolls back. */
static int update_locked(struct vg_db *db, struct vg_arena *a, const char *user_id,
                         const struct vg_user_change *chg, const struct vg_actor *actor,
                         PGresult **row, bool *changed, struct vg_err *err)
{
	PGresult *before, *after;
	const char *details;

	if (!vg_db_q0(db, a, err, USERADMIN_LOCK))
		return err->rc;
	before =
	    vg_db_q(db, a, err,
	            "SELECT " VG_USERADMIN_COLUMNS " FROM users WHERE id = $1 FOR UPDATE", user_id);
	if (!before)
		return err->rc;
	if (PQntuples(before) != 1)
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no account has this id");
	if (keep_an_admin(db, a, before, chg, err) != VG_OK)
		return err->rc;
	if (!(after = apply_change(db, a, user_id, chg, err)))
		return err->rc;
	*row = after;
	details = change_details(a, before, after, actor && actor->via ? actor->via : "veogenctl");
	*changed = details != NULL;
	if (details)
		vg_audit(db, a, actor ? actor->user_id : NULL, "user.update", "user", user_id,
		         actor ? actor->ip : NULL, actor ? actor->request_id : NULL, details);
	return VG_OK;
}

int vg_useradmin_update(struct vg_db *db, struct vg_arena *a, const char *user_id,
                        const struct vg_user_change *chg, const struct vg_actor *actor,
                        PGresult **row, struct vg_err *err)
{
	bool changed = false;

	*row = NULL;
	if (!user_id || !vg_str_is_uuid(user_id))
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no account has this id");
	if (check_change(chg, err) != VG_OK)
		return err->rc;
	if (vg_db_begin(db, a, err) != VG_OK)
		return err->rc;
	if (update_locked(db, a, user_id, chg, actor, row, &changed, err) != VG_OK) {
		vg_db_rollback(db);
		*row = NULL;
		return err->rc;
	}
	/* Nothing changed: no audit row, and no NOTIFY that empties every responder's cache. */
	if (!changed) {
		vg_db_rollback(db);
		return VG_OK;
	}
	if (vg_db_commit(db, a, err) != VG_OK) {
		*row = NULL;
		return err->rc;
	}
	return VG_OK;
}

const char *vg_useradmin_id_by_email(struct vg_db *db, struct vg_arena *a, const char *email,
                                     struct vg_err *err)
{
	PGresult *res =
	    vg_db_q(db, a, err, "SELECT id FROM users WHERE lower(email) = lower(trim($1))", email);

	if (!res)
		return NULL;
	if (PQntuples(res) != 1) {
		vg_err_set(err, VG_ENOTFOUND, NULL,
		           "no account has the email %s: check it, or create it with `veogenctl "
		           "user add`",
		           email);
		return NULL;
	}
	return vg_db_get(res, 0, "id");
}
