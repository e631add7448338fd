/* PLACEHOLDER: replaced by the helper that owns this file. */
#include "config.h"

#include "vg_useradmin.h"

int vg_useradmin_update(struct vg_db *db, struct vg_arena *a, const char *user_id,
                        const struct vg_user_change *chg, const struct vg_actor *actor,
                        PGresult **row, struct vg_err *err)
{
	(void)db;
	(void)a;
	(void)user_id;
	(void)chg;
	(void)actor;
	*row = NULL;
	return vg_err_set(err, VG_EINTERNAL, NULL, "%s", "not built yet");
}

const char *vg_useradmin_id_by_email(struct vg_db *db, struct vg_arena *a, const char *email,
                                     struct vg_err *err)
{
	(void)db;
	(void)a;
	(void)email;
	vg_err_set(err, VG_EINTERNAL, NULL, "%s", "not built yet");
	return NULL;
}
