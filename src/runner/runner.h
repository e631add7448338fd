/* veogen-runner: a vg_super master whose workers claim jobs from the queue and run them
 * one step at a time through a dispatch table of job kinds.
 *
 * A step either records the job's next transition itself (vg_queue_advance to go on,
 * vg_queue_defer to come back later, vg_queue_complete when done) and returns
 * RUNNER_NEXT / RUNNER_DONE, or returns RUNNER_COMPLETE when it is done and has nothing
 * of its own to commit with the completion (the worker records it, many jobs per statement:
 * runner_batch.c), or returns an error and lets the worker decide:
 *   VG_ECANCELLED, code VG_QUEUE_CANCELLED: the job was cancelled → kind->cancelled();
 *   VG_ECANCELLED, code VG_QUEUE_LOST: another worker owns it now → nothing more to do;
 *   VG_ECANCELLED, code RUNNER_SHUTDOWN: we are stopping → the job goes back to the queue
 *     at once with the same step, and this try is not counted;
 *   VG_EINVAL / VG_EBADREQ / VG_EFORBIDDEN: the job's input is wrong (bad payload, the
 *     row it works on is gone or belongs elsewhere) → failed for good at once;
 *   anything else is transient → retried after vg_backoff_ms, failed for good after
 *     max_attempts (kind->failed() runs in the same transaction).
 * Steps remove temporary files that no later try will use before returning an error. */
#ifndef VG_RUNNER_H
#define VG_RUNNER_H

#include <stdbool.h>

#include "vg_arena.h"
#include "vg_conf.h"
#include "vg_db.h"
#include "vg_err.h"
#include "vg_queue.h"

#define RUNNER_NEXT 0 /* advanced: run job->step next, still ours */
#define RUNNER_DONE 1 /* completed or deferred: the job left our hands */
/* finished, nothing else to commit: the worker completes it.  Only for kinds without a
 * cancelled() hook (a lost completion is logged, nothing is cleaned up). */
#define RUNNER_COMPLETE 2

#define RUNNER_SHUTDOWN "shutdown"

/* One worker process. */
struct runner_worker {
	const struct vg_conf *conf;
	struct vg_db *db;
	struct vg_arena *step_arena;  /* reset after every step */
	struct vg_arena *job_arena;   /* reset after every job */
	struct vg_arena *tick_arena;  /* for progress updates while a step runs */
	struct vg_arena *batch_arena; /* the jobs of one claim */
	struct runner_batch *batch;   /* claim size and completions not recorded yet */
	char owner[160];              /* "<name>/<gen>.<idx>/<pid>": jobs.locked_by */
	long long stop_seen_ms;       /* when SIGTERM was first noticed, 0 before */
	long long db_down_since_ms;   /* start of a database outage, 0 while it is up */
};

struct runner_kind {
	const char *kind;
	int (*step)(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
	/* In the transaction that fails the job for good: bring the kind's rows in line.
	 * why holds the step's error.  May be NULL. */
	int (*failed)(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
	              struct vg_err *err);
	/* After a step saw that the job was cancelled.  May be NULL. */
	int (*cancelled)(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
	/* Master housekeeping: rows left behind by jobs that ended without the step's help
	 * (rescue gave up, cancelled while queued).  May be NULL. */
	int (*reconcile)(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
	                 struct vg_err *err);
};

/* The dispatch table, terminated by a NULL kind. */
extern const struct runner_kind runner_kinds[];
const struct runner_kind *runner_kind_find(const char *kind);

/* Worker process body (vg_super worker_main): workers 0..runner.workers-1 run CPU steps,
 * the rest run the remote loop. */
int runner_worker_main(const struct vg_conf *conf, const char *name, int gen, int idx);

/* What the worker does with a step's error, shared with the remote loop: retry later or
 * fail for good (with the kind's rows), or record a cancellation. */
void runner_job_failed(struct runner_worker *w, const struct runner_kind *k, struct vg_job *job,
                       const struct vg_err *why);
void runner_job_cancelled(struct runner_worker *w, const struct runner_kind *k, struct vg_job *job);

/* Runs one claimed job step by step until it leaves our hands; quiet: one of a batch, so
 * its claim and end are logged at debug level (the batch is logged at info). */
void runner_run_job(struct runner_worker *w, struct vg_job *job, bool quiet);

/* runner_batch.c: claims the next batch of a CPU or webhook lane (first recording the
 * completions still held) and runs it.  Returns how many jobs were claimed, -1 when the
 * database could not be reached. */
struct runner_batch *runner_batch_new(void);
void runner_batch_free(struct runner_batch *b);
int runner_batch_run(struct runner_worker *w, enum vg_lane lane);
/* Queues the completion of a job whose step returned RUNNER_COMPLETE. */
void runner_batch_done(struct runner_worker *w, const struct runner_kind *k,
                       const struct vg_job *job);
/* Records the completions held, in one statement; false when they could not be (kept). */
bool runner_batch_flush(struct runner_worker *w);

/* The worker's connection with LISTEN veogen_jobs in force (again after a reconnect); NULL
 * while the database is down.  *backend_pid tracks the session that listens. */
PGconn *runner_listen(struct runner_worker *w, int *backend_pid);
/* Consumes pending notifications; true when there were any (work may be due). */
bool runner_drain_notifies(PGconn *c);

/* The remote loop (remote.c): holds up to runner.max_in_flight provider operations of
 * remote.* steps at once over libcurl's multi interface.  Returns when asked to stop. */
void remote_loop(struct runner_worker *w);

/* For long steps, checked about once a second: true once SIGTERM has been pending longer
 * than the shutdown grace (runner.shutdown_timeout_s minus a margin for handing the job
 * back); the step then abandons its work and returns VG_ECANCELLED/RUNNER_SHUTDOWN. */
bool runner_should_abandon(struct runner_worker *w);
long long runner_now_ms(void);

/* The rows jobs work on (runner_rows.c). */
enum runner_row { RUNNER_ROW_VIDEO, RUNNER_ROW_MOVIE };
/* The UUID under key in the job's payload ({"video_id": "…"}); NULL with VG_EINVAL. */
const char *runner_payload_id(const struct vg_job *job, const char *key, struct vg_err *err);
/* A guarded update of row id matched nothing: says why — gone, now another job's, or
 * cancelled (the job is cancelled too: VG_ECANCELLED/VG_QUEUE_CANCELLED) — or that its
 * status is not the expected one (`expected` completes the message: "only a running video
 * can be rendered"). */
int runner_row_not_ours(struct runner_worker *w, struct vg_arena *a, const struct vg_job *job,
                        enum runner_row table, const char *id, const char *expected,
                        struct vg_err *err);

/* Ends a step's transaction: when rc is VG_OK the job completes with the rows the step
 * changed and everything commits; on any failure everything rolls back.  Returns the
 * outcome. */
int runner_complete_txn(struct runner_worker *w, struct vg_arena *a, const struct vg_job *job,
                        int rc, struct vg_err *err);

/* video.generate (j_video.c) */
int j_video_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
int j_video_failed(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
                   struct vg_err *err);
int j_video_cancelled(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
int j_video_reconcile(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                      struct vg_err *err);

/* movie.plan (j_movie_plan.c) */
int j_movie_plan_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
int j_movie_plan_failed(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
                        struct vg_err *err);

/* movie.assemble (j_movie_assemble.c) */
int j_movie_assemble_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
int j_movie_assemble_failed(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
                            struct vg_err *err);
int j_movie_assemble_cancelled(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
/* Movies left rendering/planning/assembling by jobs that ended without their worker. */
int j_movie_reconcile(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                      struct vg_err *err);

/* webhook (j_webhook.c) */
int j_webhook_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
int j_webhook_failed(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
                     struct vg_err *err);
int j_webhook_cancelled(struct runner_worker *w, struct vg_job *job, struct vg_err *err);
/* Events left pending by jobs that ended without their worker. */
int j_webhook_reconcile(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                        struct vg_err *err);

/* noop (j_noop.c): does nothing and completes; benchmarks only, refused (failed for good,
 * code noop_disabled) unless runner.allow_noop is true. */
int j_noop_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err);

#endif
