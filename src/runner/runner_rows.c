/* What every job kind asks of the row it works on (a video, a movie): its id from the
 * payload, why a guarded update of it matched nothing, and the commit that completes it. */
#include "config.h"

#include "runner.h"
#include "vg_log.h"
#include "vg_str.h"

const char *runner_payload_id(const struct vg_job *job, const char *key, struct vg_err *err)
{
	const char *id = json_string_value(json_object_get(job->payload, key));

	if (!id || !vg_str_is_uuid(id)) {
		vg_err_set(err, VG_EINVAL, "bad_payload",
		           "the job's payload has no valid %s (want {\"%s\": \"<uuid>\"})", key,
		           key);
		return NULL;
	}
	return id;
}

int runner_row_not_ours(struct runner_worker *w, struct vg_arena *a, const struct vg_job *job,
                        enum runner_row table, const char *id, const char *expected,
                        struct vg_err *err)
{
	const char *what = table == RUNNER_ROW_MOVIE ? "movie" : "video";
	PGresult *r =
	    vg_db_q(w->db, a, err,
	            table == RUNNER_ROW_MOVIE ? "SELECT status, job_id FROM movies WHERE id = $1"
	                                      : "SELECT status, job_id FROM videos WHERE id = $1",
	            id);
	const char *status, *owner;

	if (!r)
		return err->rc;
	if (PQntuples(r) == 0)
		return vg_err_set(err, VG_EINVAL, "not_found", "%s %s no longer exists", what, id);
	status = vg_db_get(r, 0, "status");
	owner = vg_db_get(r, 0, "job_id");
	if (owner && !vg_str_eq(owner, job->id))
		return vg_err_set(err, VG_EINVAL, "superseded", "%s %s is now handled by job %s",
		                  what, id, owner);
	if (vg_str_eq(status, "cancelled")) {
		struct vg_err cerr;

		vg_err_clear(&cerr);
		if (vg_queue_cancel(w->db, a, job->id, &cerr) != VG_OK && cerr.rc != VG_ECONFLICT)
			log_warnx("cannot cancel the job of cancelled %s %s: %s", what, id,
			          cerr.msg);
		return vg_err_set(err, VG_ECANCELLED, VG_QUEUE_CANCELLED, "%s %s was cancelled",
		                  what, id);
	}
	return vg_err_set(err, VG_EINVAL, "unexpected_status", "%s %s is %s; %s", what, id,
	                  status ? status : "in no state", expected);
}

int runner_complete_txn(struct runner_worker *w, struct vg_arena *a, const struct vg_job *job,
                        int rc, struct vg_err *err)
{
	if (rc == VG_OK)
		rc = vg_queue_complete(w->db, a, job, err);
	if (rc == VG_OK)
		rc = vg_db_commit(w->db, a, err);
	if (rc != VG_OK)
		vg_db_rollback(w->db);
	return rc;
}
