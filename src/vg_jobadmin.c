/* The job queue for administrators (see vg_jobadmin.h). */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vg_account.h"
#include "vg_jobadmin.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_movie_stop.h"
#include "vg_queue.h"
#include "vg_str.h"

const char *const vg_job_states[] = {"blocked", "queued",    "running", "succeeded",
                                     "failed",  "cancelled", NULL};
const char *const vg_job_kinds[] = {"video.generate", "movie.plan", "movie.assemble", NULL};

#define ADMIN_WHY "cancelled by an administrator"

/* The video and movie a job works for come from its payload; a payload id that is not a
 * UUID (never written by us) must not make the cast fail the whole list. */
#define UUID_RE "'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'"
#define PAYLOAD_UUID(key)                                                                          \
	"(CASE WHEN j.payload->>'" key "' ~ " UUID_RE " THEN (j.payload->>'" key "')::uuid END)"

#define JOB_FROM                                                                                   \
	"FROM jobs j LEFT JOIN videos v ON v.id = " PAYLOAD_UUID(                                  \
	    "video_id") " "                                                                        \
	                "LEFT JOIN movies m ON m.id = coalesce(" PAYLOAD_UUID(                     \
	                    "movie_id") ", v.movie_id) "

/* json_build_object keeps the keys in this order (jsonb would sort them). */
#define JOB_FIELDS                                                                                 \
	"'id', j.id, 'kind', j.kind, 'state', j.state, 'step', j.step, 'priority', j.priority, "   \
	"'attempt', j.attempt, 'retries', j.retries, 'max_attempts', j.max_attempts, "             \
	"'run_at', vg_rfc3339(j.run_at), 'lease_until', vg_rfc3339(j.lease_until), "               \
	"'locked_by', j.locked_by, 'heartbeat_at', vg_rfc3339(j.heartbeat_at), "                   \
	"'last_error', j.last_error, 'video_id', v.id, 'movie_id', m.id, "                         \
	"'user_id', coalesce(v.user_id, m.user_id), 'created_at', vg_rfc3339(j.created_at), "      \
	"'started_at', vg_rfc3339(j.started_at), 'finished_at', vg_rfc3339(j.finished_at)"

#define JOB_DETAIL_FIELDS                                                                          \
	JOB_FIELDS ", 'payload', j.payload, 'state_data', j.state_data, 'depends_on', "            \
	           "(SELECT coalesce(json_agg(d.depends_on ORDER BY d.depends_on), '[]'::json) "   \
	           "FROM job_deps d WHERE d.job_id = j.id)"

static bool in_list(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static char *joined(struct vg_arena *a, const char *const *list)
{
	char *out = "";

	for (int i = 0; list[i]; i++)
		out = vg_arena_printf(a, "%s%s%s", out, i ? ", " : "", list[i]);
	return out;
}

/* json_build_object text from the database → an arena-owned value. */
static json_t *row_json(struct vg_arena *a, const PGresult *r, int row, const char *col,
                        struct vg_err *err)
{
	const char *text = vg_db_get(r, row, col);
	json_error_t jerr;
	json_t *v = text ? json_loads(text, 0, &jerr) : NULL;

	if (!v) {
		vg_err_set(err, VG_EINTERNAL, NULL, "the job row could not be read as JSON");
		return NULL;
	}
	return vg_json_own(a, v);
}

static int check_filter(struct vg_arena *a, const struct vg_job_filter *f, struct vg_err *err)
{
	if (f->state && !in_list(vg_job_states, f->state))
		return vg_err_set(err, VG_EBADREQ, "bad_query", "state must be one of %s",
		                  joined(a, vg_job_states));
	if (f->kind && !in_list(vg_job_kinds, f->kind))
		return vg_err_set(err, VG_EBADREQ, "bad_query", "kind must be one of %s",
		                  joined(a, vg_job_kinds));
	if (f->limit < 1 || f->limit > VG_JOBADMIN_MAX_LIMIT)
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "limit must be a whole number from 1 to %d",
		                  VG_JOBADMIN_MAX_LIMIT);
	if (f->cursor && !vg_str_is_uuid(f->cursor))
		return vg_err_set(err, VG_EBADREQ, "bad_query",
		                  "cursor must be the next_cursor of a previous page");
	return VG_OK;
}

int vg_jobadmin_list(struct vg_db *db, struct vg_arena *a, const struct vg_job_filter *f,
                     json_t **items, const char **next_cursor, struct vg_err *err)
{
	PGresult *r;
	int rc, n, shown;

	*items = NULL;
	*next_cursor = NULL;
	if ((rc = check_filter(a, f, err)) != VG_OK)
		return rc;
	/* One row more than asked tells whether there is a next page. */
	r = vg_db_q(db, a, err,
	            "SELECT j.id, json_build_object(" JOB_FIELDS ")::text AS job " JOB_FROM
	            "WHERE ($1::text IS NULL OR j.state = $1) AND ($2::text IS NULL OR j.kind = "
	            "$2) AND ($3::uuid IS NULL OR (j.created_at, j.id) < (SELECT c.created_at, "
	            "c.id FROM jobs c WHERE c.id = $3)) "
	            "ORDER BY j.created_at DESC, j.id DESC LIMIT $4::int",
	            f->state, f->kind, f->cursor, vg_arena_printf(a, "%d", f->limit + 1));
	if (!r)
		return err->rc;
	n = PQntuples(r);
	if (n == 0 && f->cursor) {
		PGresult *c = vg_db_q(db, a, err, "SELECT 1 FROM jobs WHERE id = $1", f->cursor);

		if (!c)
			return err->rc;
		if (PQntuples(c) != 1)
			return vg_err_set(err, VG_EBADREQ, "bad_query",
			                  "cursor does not point at a job any more (finished jobs "
			                  "are pruned): start again without it");
	}
	shown = n > f->limit ? f->limit : n;
	*items = vg_json_own(a, json_array());
	for (int i = 0; i < shown; i++) {
		json_t *job = row_json(a, r, i, "job", err);

		if (!job)
			return err->rc;
		json_array_append(*items, job);
	}
	if (n > f->limit)
		*next_cursor = vg_arena_strdup(a, vg_db_get(r, shown - 1, "id"));
	return VG_OK;
}

static int not_found(const char *job_id, struct vg_err *err)
{
	return vg_err_set(err, VG_ENOTFOUND, NULL,
	                  "no job has the id %.64s: check it (the list of jobs shows the ids; "
	                  "finished jobs are pruned after retention.jobs_days)",
	                  job_id ? job_id : "(none)");
}

int vg_jobadmin_get(struct vg_db *db, struct vg_arena *a, const char *job_id, json_t **job,
                    struct vg_err *err)
{
	PGresult *r;

	*job = NULL;
	if (!job_id || !vg_str_is_uuid(job_id))
		return not_found(job_id, err);
	r = vg_db_q(db, a, err,
	            "SELECT json_build_object(" JOB_DETAIL_FIELDS ")::text AS job " JOB_FROM
	            "WHERE j.id = $1",
	            job_id);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return not_found(job_id, err);
	*job = row_json(a, r, 0, "job", err);
	return *job ? VG_OK : err->rc;
}

/* What a retry or cancel needs to know about a job before it locks anything. */
struct job_info {
	const char *id;
	const char *kind;
	const char *state;
	const char *video_id; /* from the payload: the row may be gone */
	const char *movie_id; /* the movie of a movie job or of a scene take */
	bool video_exists;
};

static int load_info(struct vg_db *db, struct vg_arena *a, const char *job_id, struct job_info *ji,
                     struct vg_err *err)
{
	PGresult *r;

	memset(ji, 0, sizeof *ji);
	if (!job_id || !vg_str_is_uuid(job_id))
		return not_found(job_id, err);
	r = vg_db_q(db, a, err,
	            "SELECT j.kind, j.state, " PAYLOAD_UUID(
	                "video_id") " AS video_id, "
	                            "coalesce(" PAYLOAD_UUID(
	                                "movie_id") ", v.movie_id) AS movie_id, "
	                                            "v.id IS NOT NULL AS video_exists FROM jobs j "
	                                            "LEFT JOIN videos v ON v.id = " PAYLOAD_UUID(
	                                                "video_id") " WHERE j.id = $1",
	            job_id);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return not_found(job_id, err);
	ji->id = job_id;
	ji->kind = vg_db_get(r, 0, "kind");
	ji->state = vg_db_get(r, 0, "state");
	ji->video_id = vg_db_get(r, 0, "video_id");
	ji->movie_id = vg_db_get(r, 0, "movie_id");
	ji->video_exists = vg_db_get_bool(r, 0, "video_exists");
	return VG_OK;
}

/* Who acted, for the audit row's details: an API caller is the row's user; the command
 * line has no account, so the Unix user who ran it is recorded. */
static void audit(struct vg_db *db, struct vg_arena *a, const char *action,
                  const struct job_info *ji, const char *from, const struct vg_actor *actor)
{
	const char *via = actor && actor->via ? actor->via : "veogenctl";
	json_t *d = vg_json_own(
	    a, json_pack("{s:s, s:s, s:s}", "via", via, "kind", ji->kind, "from", from));

	if (ji->video_id)
		json_object_set_new(d, "video_id", json_string(ji->video_id));
	if (ji->movie_id)
		json_object_set_new(d, "movie_id", json_string(ji->movie_id));
	if (!actor || !actor->user_id) {
		struct passwd *pw = getpwuid(geteuid());

		json_object_set_new(d, "unix_user", json_string(pw ? pw->pw_name : "unknown"));
	}
	vg_audit(db, a, actor ? actor->user_id : NULL, action, "job", ji->id,
	         actor ? actor->ip : NULL, actor ? actor->request_id : NULL, vg_json_dump(a, d));
}

static bool is_movie_kind(const char *kind)
{
	return strncmp(kind, "movie.", 6) == 0;
}

/* ---------------------------------------------------------------- retry */

static int refuse_movie(const struct job_info *ji, struct vg_err *err)
{
	if (vg_str_eq(ji->kind, "movie.plan"))
		return vg_err_set(
		    err, VG_ECONFLICT, "movie_job",
		    "job %s plans movie %s and cannot be retried on its own: create "
		    "the movie again (POST /api/v1/movies), or add its scenes by hand "
		    "and render it (POST /api/v1/movies/%s/render)",
		    ji->id, ji->movie_id ? ji->movie_id : "(deleted)",
		    ji->movie_id ? ji->movie_id : "{id}");
	return vg_err_set(err, VG_ECONFLICT, "movie_job",
	                  "job %s is part of movie %s, whose parts run as a whole: render the "
	                  "movie again with POST /api/v1/movies/%s/render (it redoes only the "
	                  "scenes without a take)",
	                  ji->id, ji->movie_id ? ji->movie_id : "(deleted)",
	                  ji->movie_id ? ji->movie_id : "{id}");
}

static int refuse_state(const struct job_info *ji, const char *state, struct vg_err *err)
{
	if (vg_str_eq(state, "succeeded"))
		return vg_err_set(err, VG_ECONFLICT, "not_retryable",
		                  "job %s has succeeded: there is nothing to retry (make new work "
		                  "instead, e.g. POST /api/v1/videos)",
		                  ji->id);
	return vg_err_set(err, VG_ECONFLICT, "not_retryable",
	                  "job %s is %s: only a failed or cancelled job can be retried (cancel "
	                  "it first if it is stuck)",
	                  ji->id, state);
}

/* Locks the job's video (first: the owner's cancel locks in the same order) and checks
 * that a retry can bring it back. */
static int lock_video_for_retry(struct vg_db *db, struct vg_arena *a, const struct job_info *ji,
                                struct vg_err *err)
{
	PGresult *r = vg_db_q(
	    db, a, err, "SELECT status, job_id, movie_id FROM videos WHERE id = $1 FOR UPDATE",
	    ji->video_id);
	const char *owner, *status;

	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return vg_err_set(err, VG_ECONFLICT, "video_gone",
		                  "the video of job %s (%s) was deleted: there is nothing to retry",
		                  ji->id, ji->video_id);
	if (vg_db_get(r, 0, "movie_id"))
		return refuse_movie(ji, err);
	owner = vg_db_get(r, 0, "job_id");
	if (owner && !vg_str_eq(owner, ji->id))
		return vg_err_set(err, VG_ECONFLICT, "video_gone",
		                  "video %s is handled by job %s now: retry that one if needed",
		                  ji->video_id, owner);
	status = vg_db_get(r, 0, "status");
	if (!vg_str_eq(status, "failed") && !vg_str_eq(status, "cancelled"))
		return vg_err_set(err, VG_ECONFLICT, "not_retryable",
		                  "video %s is %s, not failed or cancelled: nothing to retry",
		                  ji->video_id, status);
	return VG_OK;
}

/* Locks the job and checks its state and its place in a chain of jobs. */
static int lock_job_for_retry(struct vg_db *db, struct vg_arena *a, const struct job_info *ji,
                              struct vg_err *err)
{
	PGresult *r = vg_db_q(
	    db, a, err,
	    "SELECT j.state, (SELECT count(*) FROM job_deps d JOIN jobs o ON o.id = d.depends_on "
	    "WHERE d.job_id = j.id AND o.state <> 'succeeded') AS deps_open, (SELECT count(*) "
	    "FROM job_deps d JOIN jobs o ON o.id = d.job_id WHERE d.depends_on = j.id AND "
	    "o.state IN ('failed', 'cancelled')) AS dependants_stopped FROM jobs j WHERE j.id = "
	    "$1 FOR UPDATE OF j",
	    ji->id);

	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return not_found(ji->id, err);
	const char *state = vg_db_get(r, 0, "state");
	if (!vg_str_eq(state, "failed") && !vg_str_eq(state, "cancelled"))
		return refuse_state(ji, state, err);
	if (vg_db_get_ll(r, 0, "deps_open", 0) > 0)
		return vg_err_set(err, VG_ECONFLICT, "dependencies_failed",
		                  "job %s waits on %lld jobs that did not succeed: it would wait "
		                  "for ever; start the work again from its owner instead",
		                  ji->id, vg_db_get_ll(r, 0, "deps_open", 0));
	/* The chain stopped with it; reviving one link would make a result nobody waits for. */
	if (vg_db_get_ll(r, 0, "dependants_stopped", 0) > 0)
		return vg_err_set(err, VG_ECONFLICT, "dependants_stopped",
		                  "%lld jobs waiting on job %s were stopped with it, and a retry "
		                  "would not restart them: start the work again from its owner",
		                  vg_db_get_ll(r, 0, "dependants_stopped", 0), ji->id);
	return VG_OK;
}

static int requeue(struct vg_db *db, struct vg_arena *a, const struct job_info *ji,
                   struct vg_err *err)
{
	/* From the first step with a clean slate: the step's remote operation and temporary
	 * files of the run that failed are gone (the runner removed them when it ended). */
	if (!vg_db_q(db, a, err,
	             "UPDATE jobs SET state = 'queued', step = 'start', state_data = '{}', "
	             "retries = 0, run_at = now(), last_error = NULL, lease_until = NULL, "
	             "locked_by = NULL, heartbeat_at = NULL, started_at = NULL, finished_at = "
	             "NULL WHERE id = $1 AND state IN ('failed', 'cancelled')",
	             ji->id))
		return err->rc;
	if (ji->video_exists &&
	    !vg_db_q(db, a, err,
	             "UPDATE videos SET status = 'queued', stage = 'queued', progress = 0, error = "
	             "NULL, started_at = NULL, finished_at = NULL WHERE id = $1 AND status IN "
	             "('failed', 'cancelled')",
	             ji->video_id))
		return err->rc;
	/* delivered at commit: an idle runner wakes at once */
	if (!vg_db_q(db, a, err, "SELECT pg_notify($1, '')", VG_QUEUE_CHANNEL))
		return err->rc;
	return VG_OK;
}

static int retry_txn(struct vg_db *db, struct vg_arena *a, const struct job_info *ji,
                     const struct vg_actor *actor, struct vg_err *err)
{
	int rc;

	if (ji->video_exists && (rc = lock_video_for_retry(db, a, ji, err)) != VG_OK)
		return rc;
	if ((rc = lock_job_for_retry(db, a, ji, err)) != VG_OK)
		return rc;
	if ((rc = requeue(db, a, ji, err)) != VG_OK)
		return rc;
	audit(db, a, "job.retry", ji, ji->state, actor);
	return VG_OK;
}

int vg_jobadmin_retry(struct vg_db *db, struct vg_arena *a, const char *job_id,
                      const struct vg_actor *actor, json_t **job, struct vg_err *err)
{
	struct job_info ji;
	int rc;

	if (job)
		*job = NULL;
	if ((rc = load_info(db, a, job_id, &ji, err)) != VG_OK)
		return rc;
	if (!vg_str_eq(ji.state, "failed") && !vg_str_eq(ji.state, "cancelled"))
		return refuse_state(&ji, ji.state, err);
	if (is_movie_kind(ji.kind) || (ji.movie_id && ji.video_id))
		return refuse_movie(&ji, err);
	if (vg_str_eq(ji.kind, "video.generate") && !ji.video_exists)
		return vg_err_set(err, VG_ECONFLICT, "video_gone",
		                  "the video of job %s was deleted: there is nothing to retry",
		                  ji.id);
	if ((rc = vg_db_begin(db, a, err)) != VG_OK)
		return rc;
	if ((rc = retry_txn(db, a, &ji, actor, err)) != VG_OK) {
		vg_db_rollback(db);
		return rc;
	}
	if ((rc = vg_db_commit(db, a, err)) != VG_OK)
		return rc;
	log_info("job %s (%s) retried by %s", ji.id, ji.kind,
	         actor && actor->user_id ? actor->user_id : "veogenctl");
	return job ? vg_jobadmin_get(db, a, job_id, job, err) : VG_OK;
}

/* ---------------------------------------------------------------- cancel */

int vg_jobadmin_cancel_video(struct vg_db *db, struct vg_arena *a, const char *video_id,
                             const char *job_id, const char *why, bool *video_cancelled,
                             struct vg_err *err)
{
	PGresult *r;
	int rc;

	if (video_cancelled)
		*video_cancelled = false;
	/* a job that has finished already is fine: the video row is what matters here */
	if (job_id && (rc = vg_queue_cancel(db, a, job_id, err)) != VG_OK && rc != VG_ECONFLICT)
		return rc;
	vg_err_clear(err);
	r = vg_db_q(db, a, err,
	            "UPDATE videos SET status = 'cancelled', finished_at = now(), error = "
	            "jsonb_build_object('code', 'cancelled', 'message', $2::text, 'retryable', "
	            "false) WHERE id = $1 AND status IN ('queued', 'running') RETURNING id",
	            video_id, why);
	if (!r)
		return err->rc;
	if (video_cancelled)
		*video_cancelled = PQntuples(r) == 1;
	return VG_OK;
}

static int already_finished(const struct job_info *ji, const char *state, struct vg_err *err)
{
	return vg_err_set(err, VG_ECONFLICT, "already_finished",
	                  "job %s has already finished (%s): nothing to cancel%s", ji->id, state,
	                  vg_str_eq(state, "succeeded") ? "" : " (POST .../retry runs it again)");
}

/* A standalone video's job: the video is cancelled as its owner's cancel does. */
static int cancel_video_job(struct vg_db *db, struct vg_arena *a, const struct job_info *ji,
                            const char **provider, const char **style, bool *changed,
                            struct vg_err *err)
{
	PGresult *v, *j;

	v = vg_db_q(db, a, err, "SELECT provider, style FROM videos WHERE id = $1 FOR UPDATE",
	            ji->video_id);
	if (!v)
		return err->rc;
	j = vg_db_q(db, a, err, "SELECT state FROM jobs WHERE id = $1 FOR UPDATE", ji->id);
	if (!j)
		return err->rc;
	if (PQntuples(j) != 1)
		return not_found(ji->id, err);
	const char *state = vg_db_get(j, 0, "state");
	if (!vg_str_eq(state, "blocked") && !vg_str_eq(state, "queued") &&
	    !vg_str_eq(state, "running"))
		return already_finished(ji, state, err);
	if (PQntuples(v) == 1) {
		*provider = vg_db_get(v, 0, "provider");
		*style = vg_db_get(v, 0, "style");
	}
	return vg_jobadmin_cancel_video(db, a, ji->video_id, ji->id, ADMIN_WHY, changed, err);
}

/* A movie's job or scene take: the movie stops as one, as its owner's cancel does. */
static int cancel_movie_job(struct vg_db *db, struct vg_arena *a, const struct job_info *ji,
                            struct vg_err *err)
{
	bool stopped = false;
	int rc;

	if ((rc = vg_movie_stop(db, a, ji->movie_id, "cancelled", "cancelled", ADMIN_WHY, NULL,
	                        NULL, &stopped, err)) != VG_OK)
		return rc;
	rc = vg_queue_cancel(db, a, ji->id, err);
	if (rc == VG_ECONFLICT && stopped)
		rc = VG_OK; /* the stop cancelled it */
	if (rc != VG_OK)
		return rc;
	/* a movie that was not running (e.g. a take of a scene regenerated later) */
	if (ji->video_exists)
		return vg_jobadmin_cancel_video(db, a, ji->video_id, NULL, ADMIN_WHY, NULL, err);
	return VG_OK;
}

static int cancel_txn(struct vg_db *db, struct vg_arena *a, const struct job_info *ji,
                      const struct vg_actor *actor, const char **provider, const char **style,
                      bool *video_changed, struct vg_err *err)
{
	int rc;

	if (ji->movie_id)
		rc = cancel_movie_job(db, a, ji, err);
	else if (ji->video_exists)
		rc = cancel_video_job(db, a, ji, provider, style, video_changed, err);
	else
		rc = vg_queue_cancel(db, a, ji->id, err);
	if (rc != VG_OK)
		return rc;
	audit(db, a, "job.cancel", ji, ji->state, actor);
	return VG_OK;
}

int vg_jobadmin_cancel(struct vg_db *db, struct vg_arena *a, const char *job_id,
                       const struct vg_actor *actor, json_t **job, struct vg_err *err)
{
	const char *provider = NULL, *style = NULL;
	bool video_changed = false;
	struct job_info ji;
	int rc;

	if (job)
		*job = NULL;
	if ((rc = load_info(db, a, job_id, &ji, err)) != VG_OK)
		return rc;
	if (!vg_str_eq(ji.state, "blocked") && !vg_str_eq(ji.state, "queued") &&
	    !vg_str_eq(ji.state, "running"))
		return already_finished(&ji, ji.state, err);
	if ((rc = vg_db_begin(db, a, err)) != VG_OK)
		return rc;
	rc = cancel_txn(db, a, &ji, actor, &provider, &style, &video_changed, err);
	if (rc != VG_OK) {
		vg_db_rollback(db);
		return rc;
	}
	if ((rc = vg_db_commit(db, a, err)) != VG_OK)
		return rc;
	if (video_changed)
		vg_metrics_generation("cancelled", provider, style ? style : "none", -1);
	log_info("job %s (%s) cancelled by %s", ji.id, ji.kind,
	         actor && actor->user_id ? actor->user_id : "veogenctl");
	return job ? vg_jobadmin_get(db, a, job_id, job, err) : VG_OK;
}
