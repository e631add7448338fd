/* The job queue for administrators, written once for /api/v1/admin/jobs and `veogenctl job`:
 * list and read jobs with the video or movie they work for, retry a failed or cancelled
 * job, cancel an unfinished one.  Retry and cancel keep the job's video or movie in line
 * and write their audit row (job.retry, job.cancel) in the same transaction.
 *
 * Retry rules: only failed or cancelled jobs; the job starts again from its first step
 * with all its tries (retries 0; attempt, the fencing token, only ever grows so that a
 * worker still holding the old run can never complete the new one), and its video goes
 * back to queued.  Refused with VG_ECONFLICT: movie jobs and movie scene takes (the movie
 * is rendered again as a whole), a job whose video was deleted or is handled by another
 * job, a job waiting on jobs that did not succeed, and a job whose dependants were
 * stopped (a retry would not restart them). */
#ifndef VG_JOBADMIN_H
#define VG_JOBADMIN_H

#include <jansson.h>
#include <stdbool.h>

#include "vg_arena.h"
#include "vg_db.h"
#include "vg_err.h"
#include "vg_useradmin.h" /* struct vg_actor */

/* NULL-terminated lists of the states and kinds a filter may name. */
extern const char *const vg_job_states[];
extern const char *const vg_job_kinds[];

#define VG_JOBADMIN_DEFAULT_LIMIT 20
#define VG_JOBADMIN_MAX_LIMIT     100

struct vg_job_filter {
	const char *state;  /* NULL = any; one of vg_job_states */
	const char *kind;   /* NULL = any; one of vg_job_kinds */
	int limit;          /* 1..VG_JOBADMIN_MAX_LIMIT */
	const char *cursor; /* NULL, or the next_cursor of the page before */
};

/* Newest first.  *items gets a JSON array of job objects {id, kind, state, step, priority,
 * attempt, retries, max_attempts, run_at, lease_until, locked_by, heartbeat_at, last_error,
 * video_id, movie_id, user_id, created_at, started_at, finished_at}; *next_cursor the id
 * to pass for the next page, NULL on the last.  Both live in the arena.  VG_EBADREQ (code
 * bad_query) for a filter value that is not allowed or a cursor that is no job. */
int vg_jobadmin_list(struct vg_db *db, struct vg_arena *a, const struct vg_job_filter *f,
                     json_t **items, const char **next_cursor, struct vg_err *err);

/* One job: the list's object plus payload, state_data and depends_on (job ids).
 * VG_ENOTFOUND for an unknown id. */
int vg_jobadmin_get(struct vg_db *db, struct vg_arena *a, const char *job_id, json_t **job,
                    struct vg_err *err);

/* failed|cancelled → queued (see the rules above), with a wake-up for idle runners.
 * VG_ENOTFOUND, or VG_ECONFLICT with a code (not_retryable, movie_job, video_gone,
 * dependencies_failed, dependants_stopped) and a message that says what to do instead.
 * *job (may be NULL) gets the job after the change. */
int vg_jobadmin_retry(struct vg_db *db, struct vg_arena *a, const char *job_id,
                      const struct vg_actor *actor, json_t **job, struct vg_err *err);

/* blocked|queued|running → cancelled.  A video's job cancels the video as the owner's
 * POST /api/v1/videos/{id}/cancel does; a movie's job or scene take stops the whole movie
 * (vg_movie_stop).  VG_ENOTFOUND, or VG_ECONFLICT already_finished. */
int vg_jobadmin_cancel(struct vg_db *db, struct vg_arena *a, const char *job_id,
                       const struct vg_actor *actor, json_t **job, struct vg_err *err);

/* The cancel of one video, shared with POST /api/v1/videos/{id}/cancel: its job
 * (job_id, may be NULL) is cancelled unless it has finished, and the video, when still
 * queued or running, becomes cancelled with error {code "cancelled", message why}.  Call
 * inside a transaction holding the video row's lock.  *video_cancelled (may be NULL) says
 * whether the video changed. */
int vg_jobadmin_cancel_video(struct vg_db *db, struct vg_arena *a, const char *video_id,
                             const char *job_id, const char *why, bool *video_cancelled,
                             struct vg_err *err);

#endif
