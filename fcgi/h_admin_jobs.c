/* /api/v1/admin/jobs: the job queue for administrators (list, read, retry, cancel).  The
 * route is admin-only (checked before the handler); the work is src/vg_jobadmin.c, shared
 * with `veogenctl job`. */
#include "config.h"

#include "handlers.h"
#include "vg_jobadmin.h"
#include "vg_json.h"

/* The actor of the audit row: the calling admin, from this request. */
static struct vg_actor actor_of(const struct vg_req *r)
{
	return (struct vg_actor){.user_id = r->who.user_id,
	                         .via = "api",
	                         .ip = r->remote_addr,
	                         .request_id = r->request_id};
}

static int filter_query(struct vg_req *r, struct vg_job_filter *f, struct vg_err *err)
{
	static const char *const no_status[] = {NULL};
	const char *status;
	uint64_t limit;
	bool bad = false;
	int rc;

	/* jobs have states, not statuses: say so rather than "status must be one of" */
	if (vg_req_query(r, "status", &bad) && !bad)
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "jobs are filtered by state= (not status=)");
	f->state = vg_req_query(r, "state", &bad);
	f->kind = vg_req_query(r, "kind", &bad);
	if (bad)
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "the query string is malformed or repeats a parameter");
	if ((rc = vg_req_page_query(r, no_status, &status, &limit, &f->cursor, err)) != VG_OK)
		return rc;
	f->limit = (int)limit;
	return VG_OK;
}

int h_admin_jobs_list(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct vg_job_filter f = {0};
	const char *next = NULL;
	json_t *items;
	int rc;

	if ((rc = filter_query(r, &f, err)) != VG_OK)
		return rc;
	if ((rc = vg_jobadmin_list(r->db, r->a, &f, &items, &next, err)) != VG_OK)
		return rc;
	json_t *out = vg_json_own(r->a, json_pack("{s:O, s:o}", "items", items, "next_cursor",
	                                          vg_json_str_or_null(next)));
	vg_resp_json(w, 200, out);
	return VG_OK;
}

int h_admin_jobs_get(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	json_t *job;
	int rc;

	if ((rc = vg_jobadmin_get(r->db, r->a, r->params[0], &job, err)) != VG_OK)
		return rc;
	vg_resp_json(w, 200, job);
	return VG_OK;
}

int h_admin_jobs_retry(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct vg_actor who = actor_of(r);
	json_t *job;
	int rc;

	if ((rc = vg_jobadmin_retry(r->db, r->a, r->params[0], &who, &job, err)) != VG_OK)
		return rc;
	vg_resp_json(w, 200, job);
	return VG_OK;
}

int h_admin_jobs_cancel(struct vg_req *r, struct vg_resp *w, struct vg_err *err)
{
	struct vg_actor who = actor_of(r);
	json_t *job;
	int rc;

	if ((rc = vg_jobadmin_cancel(r->db, r->a, r->params[0], &who, &job, err)) != VG_OK)
		return rc;
	vg_resp_json(w, 200, job);
	return VG_OK;
}
