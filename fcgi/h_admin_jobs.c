/* PLACEHOLDER: replaced by the helper that owns this file. */
#include "config.h"

#include "handlers.h"

int h_admin_jobs_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	(void)r;
	(void)w;
	return vg_err_set(err, VG_EINTERNAL, NULL, "%s", "not built yet");
}

int h_admin_jobs_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	(void)r;
	(void)w;
	return vg_err_set(err, VG_EINTERNAL, NULL, "%s", "not built yet");
}

int h_admin_jobs_retry(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	(void)r;
	(void)w;
	return vg_err_set(err, VG_EINTERNAL, NULL, "%s", "not built yet");
}

int h_admin_jobs_cancel(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	(void)r;
	(void)w;
	return vg_err_set(err, VG_EINTERNAL, NULL, "%s", "not built yet");
}
