/* Master housekeeping for movies: parts that ended without their worker (the rescue gave
 * up, or a job was cancelled while queued) must not leave their movie planning, rendering
 * or assembling for ever. */
#include "config.h"

#include "movie_state.h"
#include "runner.h"
#include "vg_log.h"
#include "vg_movie_stop.h"
#include "vg_str.h"

/* Planning movies whose plan job ended without its worker (rescue gave up, cancelled while
 * queued): nothing else of theirs runs, one guarded UPDATE closes them. */
static int reconcile_plans(struct vg_db *db, struct vg_arena *a, struct vg_err *err)
{
	PGresult *r = vg_db_q0(
	    db, a, err,
	    "UPDATE movies m SET status = CASE WHEN j.state = 'cancelled' THEN 'cancelled' ELSE "
	    "'failed' END, stage = NULL, error = CASE WHEN j.state = 'cancelled' THEN "
	    "jsonb_build_object('code', 'cancelled', 'message', 'the movie was cancelled before "
	    "it was planned', 'retryable', false) ELSE jsonb_build_object('code', 'plan_failed', "
	    "'message', CASE WHEN j.last_error->>'code' IN ('lease_expired', 'worker_restarted') "
	    "THEN format('the movie could not be planned: the planner stopped while working on "
	    "it (try %s of %s)', j.retries, j.max_attempts) ELSE 'the movie could not be "
	    "planned: ' || coalesce(j.last_error->>'message', 'its job failed') END, 'retryable', "
	    "false) END, finished_at = coalesce(j.finished_at, now()), updated_at = now() FROM "
	    "jobs j WHERE m.job_id = j.id AND j.kind = 'movie.plan' AND j.state IN ('failed', "
	    "'cancelled') AND m.status = 'planning' RETURNING m.id");

	if (!r)
		return err->rc;
	if (PQntuples(r) > 0)
		log_info("reconcile: %d planning movies whose plan job had ended were closed",
		         PQntuples(r));
	return VG_OK;
}

/* Rendering or assembling movies whose assembly job ended without its worker: failed →
 * the movie fails, cancelled → it is cancelled; either way what still runs of it stops. */
static int reconcile_assemblies(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                                struct vg_err *err)
{
	PGresult *r = vg_db_q0(
	    db, a, err,
	    "SELECT m.id, j.id AS job_id, j.state, j.last_error->>'code' AS code, "
	    "j.last_error->>'message' AS message, j.retries, j.max_attempts FROM movies m JOIN "
	    "jobs j ON j.id = m.job_id WHERE j.kind = 'movie.assemble' AND j.state IN ('failed', "
	    "'cancelled') AND m.status IN ('rendering', 'assembling') LIMIT 100");
	int closed = 0;

	if (!r)
		return err->rc;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *id = vg_db_get(r, i, "id"), *code = vg_db_get(r, i, "code");
		const char *msg = vg_db_get(r, i, "message");
		bool cancelled = vg_str_eq(vg_db_get(r, i, "state"), "cancelled"), done = false;
		int rc;

		if (cancelled)
			rc = vg_movie_stop(db, a, id, "cancelled", "cancelled",
			                   "the movie was cancelled before it finished", NULL, NULL,
			                   &done, err);
		else if (vg_str_eq(code, "lease_expired") || vg_str_eq(code, "worker_restarted"))
			rc = movie_fail(db, a, id, "assembly_failed",
			                vg_arena_printf(a,
			                                "the film could not be assembled: the "
			                                "assembler stopped while working on it "
			                                "(try %s of %s)",
			                                vg_db_get(r, i, "retries"),
			                                vg_db_get(r, i, "max_attempts")),
			                NULL, NULL, &done, err);
		else
			rc = movie_fail(db, a, id, "assembly_failed",
			                vg_arena_printf(a, "the film could not be assembled: %s",
			                                msg ? msg : "its job failed"),
			                NULL, NULL, &done, err);
		if (rc != VG_OK)
			return rc;
		/* the ended job's own outputs: never the film served (only success sets it) */
		movie_remove_output(conf, a, id,
		                    movie_output_rel(a, id, vg_db_get(r, i, "job_id")));
		closed += done;
	}
	if (closed > 0)
		log_info("reconcile: %d movies whose assembly job had ended were closed", closed);
	return VG_OK;
}

/* Rendering movies whose current take failed without its job's hook (the rescue gave up on
 * it and j_video_reconcile closed the video): the movie fails as the hook would have. */
static int reconcile_takes(struct vg_db *db, struct vg_arena *a, struct vg_err *err)
{
	PGresult *r = vg_db_q0(
	    db, a, err,
	    "SELECT v.id, v.error->>'code' AS code, v.error->>'message' AS message FROM movies m "
	    "JOIN scenes s ON s.movie_id = m.id JOIN videos v ON v.id = s.video_id WHERE "
	    "m.status = 'rendering' AND NOT s.stale AND v.status = 'failed' LIMIT 100");

	if (!r)
		return err->rc;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *code = vg_db_get(r, i, "code"), *msg = vg_db_get(r, i, "message");
		int rc = movie_take_failed(db, a, vg_db_get(r, i, "id"), code ? code : "internal",
		                           msg ? msg : "the take failed", err);

		if (rc != VG_OK)
			return rc;
	}
	if (PQntuples(r) > 0)
		log_info("reconcile: %d failed scene takes closed their movies", PQntuples(r));
	return VG_OK;
}

int j_movie_reconcile(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                      struct vg_err *err)
{
	int rc;

	if ((rc = reconcile_plans(db, a, err)) != VG_OK ||
	    (rc = reconcile_assemblies(conf, db, a, err)) != VG_OK)
		return rc;
	return reconcile_takes(db, a, err);
}
