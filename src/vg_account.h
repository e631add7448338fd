/* Accounts: creating users (register, veogenctl user add) with the rules written once. */
#ifndef VG_ACCOUNT_H
#define VG_ACCOUNT_H

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_db.h"
#include "vg_err.h"

/* Validates email (a@b.c shape, ≤ 254) and password (≥ 10 code points, ≤ 1024 bytes)
 * with field errors, hashes the password and inserts the user.  409 when the email exists
 * (case-insensitive).  *id_out gets the new id (arena memory). */
int vg_account_create(struct vg_db *db, struct vg_arena *a, const struct vg_conf *c,
                      const char *email, const char *password, const char *display_name,
                      const char *role, char **id_out, struct vg_err *err);

/* Appends an audit row (never fails the caller's action: errors are logged). */
void vg_audit(struct vg_db *db, struct vg_arena *a, const char *user_id, const char *action,
              const char *target_type, const char *target_id, const char *ip,
              const char *request_id, const char *details_json);

#endif
