/* A movie stops as one statement (see vg_movie_stop.h). */
#include "config.h"

#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_movie_stop.h"

/* One statement, so it is atomic with or without the caller's transaction.  Every CTE sees
 * the same snapshot: the takes and jobs are found through the movie row it stopped. */
static const char stop_sql[] =
    "WITH m AS (UPDATE movies SET status = $6, stage = NULL, finished_at = now(), "
    "updated_at = now(), error = jsonb_strip_nulls(jsonb_build_object('code', $2::text, "
    "'message', $3::text, 'retryable', false, 'scene_id', $4::uuid)) WHERE id = $1 AND "
    "status IN ('planning', 'rendering', 'assembling') RETURNING id, job_id, style), "
    "takes AS (UPDATE videos v SET status = 'cancelled', finished_at = now(), error = "
    "jsonb_build_object('code', 'cancelled', 'message', 'the movie stopped: ' || $3::text, "
    "'retryable', false) FROM m WHERE v.movie_id = m.id AND v.status IN ('queued', "
    "'running') AND v.job_id IS DISTINCT FROM $5::uuid RETURNING v.job_id, v.provider, "
    "v.style), "
    "stopped AS (UPDATE jobs j SET state = 'cancelled', finished_at = now(), lease_until = "
    "NULL, last_error = jsonb_build_object('code', 'cancelled', 'message', 'the movie "
    "stopped: ' || $3::text, 'retryable', false) WHERE j.state IN ('blocked', 'queued', "
    "'running') AND j.id IS DISTINCT FROM $5::uuid AND (j.id IN (SELECT job_id FROM takes) "
    "OR j.id IN (SELECT job_id FROM m)) RETURNING j.id) "
    "SELECT (SELECT count(*) FROM m) AS changed, (SELECT count(*) FROM stopped) AS stopped, "
    "(SELECT style FROM m) AS style, t.provider AS take_provider, t.style AS take_style "
    "FROM (SELECT 1) one LEFT JOIN takes t ON true";

int vg_movie_stop(struct vg_db *db, struct vg_arena *a, const char *movie_id, const char *to,
                  const char *code, const char *message, const char *scene_id,
                  const char *except_job_id, bool *stopped_out, struct vg_err *err)
{
	PGresult *r =
	    vg_db_q(db, a, err, stop_sql, movie_id, code, message, scene_id, except_job_id, to);

	if (stopped_out)
		*stopped_out = false;
	if (!r)
		return err->rc;
	if (vg_db_get_ll(r, 0, "changed", 0) == 1) {
		if (stopped_out)
			*stopped_out = true;
		log_info("movie %s %s (%s): %s; %lld unfinished jobs stopped", movie_id, to, code,
		         message, vg_db_get_ll(r, 0, "stopped", 0));
		/* counted here, once for every way a movie stops (runner, API cancel, reconcile) */
		vg_metrics_movie(to, vg_db_get(r, 0, "style"));
	}
	for (int i = 0; i < PQntuples(r); i++)
		if (vg_db_get(r, i, "take_provider"))
			vg_metrics_generation("cancelled", vg_db_get(r, i, "take_provider"),
			                      vg_db_get(r, i, "take_style"), -1);
	return VG_OK;
}
