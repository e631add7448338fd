/* Administering accounts, written once for PATCH /api/v1/admin/users/{id} and veogenctl:
 * role, disabled and quotas change in one transaction with their audit row, and the last
 * enabled admin can never be demoted or disabled. */
#ifndef VG_USERADMIN_H
#define VG_USERADMIN_H

#include <stdbool.h>

#include "vg_arena.h"
#include "vg_db.h"
#include "vg_err.h"

struct vg_user_change {
	const char *role;       /* NULL = keep; "user" | "admin" */
	int disabled;           /* -1 = keep, 0 = enable, 1 = disable */
	bool set_quota_seconds; /* quota_seconds: decimal text, NULL = the config default */
	const char *quota_seconds;
	bool set_quota_cost; /* quota_cost: decimal text, NULL = the config default */
	const char *quota_cost;
};

/* Who acts, for the audit row: actor_id NULL = the command line (via "veogenctl"). */
struct vg_actor {
	const char *user_id;
	const char *via; /* "api" | "veogenctl" */
	const char *ip;
	const char *request_id;
};

/* Applies chg to the user with id user_id (a UUID) under a row lock.  Errors:
 * VG_ENOTFOUND (no such user), VG_EINVAL with field errors (role not user|admin, quota
 * out of range), VG_ECONFLICT code "last_admin" (the change would leave no enabled
 * admin).  Writes one audit row "user.update" with details {before, after, via} in the
 * same transaction; nothing when nothing changed.  On success *row gets the user's row
 * after the change (columns VG_USERADMIN_COLUMNS), registered on the arena. */
#define VG_USERADMIN_COLUMNS                                                                       \
	"id, email, display_name, role, disabled, quota_video_seconds_month, "                     \
	"quota_cost_usd_month::float8 AS quota_cost_usd_month, vg_rfc3339(created_at) AS "         \
	"created_at"
int vg_useradmin_update(struct vg_db *db, struct vg_arena *a, const char *user_id,
                        const struct vg_user_change *chg, const struct vg_actor *actor,
                        PGresult **row, struct vg_err *err);

/* The user id of an email (case-insensitive), or NULL with VG_ENOTFOUND in err (a message
 * that says to check it or create it with `veogenctl user add`). Arena memory. */
const char *vg_useradmin_id_by_email(struct vg_db *db, struct vg_arena *a, const char *email,
                                     struct vg_err *err);

#endif
