/* Forward-only migrations: sql/NNNN_name.sql files applied in order, each in its own
 * transaction, recorded in schema_migrations, serialised by an advisory lock so two
 * `veogenctl migrate` runs never apply one twice. */
#ifndef VG_MIGRATE_H
#define VG_MIGRATE_H

#include "vg_db.h"
#include "vg_err.h"

/* Applies what is missing from dir; *applied gets the count.  Idempotent. */
int vg_migrate_run(struct vg_db *db, const char *dir, int *applied, struct vg_err *err);

#endif
