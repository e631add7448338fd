/* The job queue in PostgreSQL (jobs table, see sql/0001_init.sql).
 * Claim with FOR UPDATE SKIP LOCKED and commit at once; a job then runs as a chain of
 * short committed steps under a lease that heartbeats extend.  Every transition is guarded
 * by the expected state and fenced by (attempt, locked_by), so a rescued job can never be
 * completed by the worker that lost it.  All times are database time. */
#ifndef VG_QUEUE_H
#define VG_QUEUE_H

#include <jansson.h>
#include <stdbool.h>

#include "vg_arena.h"
#include "vg_db.h"
#include "vg_err.h"

#define VG_QUEUE_CHANNEL "veogen_jobs"

struct vg_job {
	char *id;
	char *kind;
	char *step;
	int attempt; /* claims so far: the fencing token */
	int retries; /* failed tries so far */
	int max_attempts;
	json_t *payload;    /* borrowed from the arena */
	json_t *state_data; /* borrowed from the arena; steps keep their results here */
	const char *owner;  /* locked_by */
};

/* The insert of a queued job as two WITH items, `job` (its id) and `job_notify` (the wake-up,
 * delivered at commit): for callers that insert a job and their own row in ONE statement.
 * The arguments are the placeholders of kind, payload (JSON text), priority and max_attempts,
 * e.g. VG_QUEUE_INSERT_CTE("$1", "$2", "$3", "$4"); the statement must select FROM job,
 * job_notify. */
#define VG_QUEUE_INSERT_CTE(kind, payload, priority, max_attempts)                                 \
	"job AS (INSERT INTO jobs (kind, payload, priority, max_attempts) VALUES (" kind           \
	", " payload "::jsonb, " priority "::smallint, " max_attempts "::int) RETURNING id), "     \
	"job_notify AS (SELECT pg_notify('" VG_QUEUE_CHANNEL "', '') FROM job)"

/* Inserts a queued job (inside the caller's transaction if one is open) and NOTIFYs.
 * payload is serialised; returns the new id in arena memory via *id_out. */
int vg_queue_enqueue(struct vg_db *db, struct vg_arena *a, const char *kind, const json_t *payload,
                     int priority, int max_attempts, char **id_out, struct vg_err *err);

/* Like vg_queue_enqueue, but the job waits ("blocked") until every job in deps[0..ndeps)
 * has succeeded; queued at once when they all already have.  The completing transaction of
 * the last dependency unblocks it (vg_queue_complete).  VG_ENOTFOUND when a dependency does
 * not exist.  Runs in the caller's transaction when one is open, else in its own. */
int vg_queue_enqueue_after(struct vg_db *db, struct vg_arena *a, const char *kind,
                           const json_t *payload, int priority, int max_attempts,
                           const char *const *deps, int ndeps, char **id_out, struct vg_err *err);

/* Three lanes of work.  Steps named "remote.*" wait on a provider's HTTP API and are run by
 * the remote loop, thousands at a time; jobs of kind "webhook" wait on a user's receiver and
 * have workers of their own, so a slow receiver never holds up rendering; every other step
 * uses the CPU and runs one at a time per worker.  Each lane claims through its own index. */
enum vg_lane { VG_LANE_CPU, VG_LANE_REMOTE, VG_LANE_WEBHOOK };
#define VG_REMOTE_STEP_PREFIX "remote."
#define VG_QUEUE_WEBHOOK_KIND "webhook"

/* Claims up to vg_queue_claim_limit(n) due jobs of a lane for owner with a lease; fills
 * jobs[0..*count).  Commits. */
int vg_queue_claim(struct vg_db *db, struct vg_arena *a, const char *owner, int lease_s,
                   enum vg_lane lane, int n, struct vg_job *jobs, int *count, struct vg_err *err);

/* Extends the lease.  Returns VG_OK, or VG_ECANCELLED when the job is no longer ours to run
 * (cancelled, rescued, or finished elsewhere): the caller stops at once.  Every fenced call
 * that returns VG_ECANCELLED sets err->code to VG_QUEUE_CANCELLED when the job was
 * cancelled (the caller cleans up what the job made) or VG_QUEUE_LOST when another worker
 * owns it now or it ended otherwise (the caller only drops its own temporary work). */
#define VG_QUEUE_CANCELLED "cancelled"
#define VG_QUEUE_LOST      "lease_lost"
/* How many jobs vg_queue_claim(n) asks for: the largest power of two <= n, at most
 * VG_QUEUE_CLAIM_MAX (each size is a statement of its own, planned once per connection);
 * 0 for n <= 0.  A claim that returns this many says more may be waiting. */
#define VG_QUEUE_CLAIM_MAX 512
int vg_queue_claim_limit(int n);

int vg_queue_heartbeat(struct vg_db *db, struct vg_arena *a, const struct vg_job *job, int lease_s,
                       struct vg_err *err);

/* Extends the leases of many jobs of one owner in one statement.  lost[i] is set for each
 * job that is no longer ours (cancelled, rescued or ended): vg_queue_heartbeat on it says
 * which. */
int vg_queue_heartbeat_many(struct vg_db *db, struct vg_arena *a, const struct vg_job *const *jobs,
                            int n, int lease_s, bool *lost, struct vg_err *err);

/* Records that the current step finished: step := next_step, state_data := job->state_data,
 * lease renewed, job stays running with us.  VG_ECANCELLED when we lost it. */
int vg_queue_advance(struct vg_db *db, struct vg_arena *a, struct vg_job *job,
                     const char *next_step, int lease_s, struct vg_err *err);

/* Re-queues the job to run its (possibly new) step after delay_ms, releasing the lease
 * (for polling a remote operation without holding a worker). */
int vg_queue_defer(struct vg_db *db, struct vg_arena *a, struct vg_job *job, const char *next_step,
                   long delay_ms, struct vg_err *err);

/* running → succeeded, and blocked jobs whose every dependency has now succeeded →
 * queued.  Runs in the caller's transaction when one is open (so a step can commit its own
 * rows and the completion together), else in its own. */
int vg_queue_complete(struct vg_db *db, struct vg_arena *a, const struct vg_job *job,
                      struct vg_err *err);

/* vg_queue_complete for many jobs of one owner in one statement (one transaction, the
 * caller's when one is open).  lost_out[i] (may be NULL) is set for each job that was no
 * longer ours, which is left as it is; the others succeed. */
int vg_queue_complete_many(struct vg_db *db, struct vg_arena *a, const struct vg_job *const *jobs,
                           int n, bool *lost_out, struct vg_err *err);

/* Hands jobs a worker claimed but did not start back to the queue in one statement: queued
 * again at their old place, no try counted, lease released.  Jobs no longer ours are left
 * alone; *released says how many went back. */
int vg_queue_release_many(struct vg_db *db, struct vg_arena *a, const struct vg_job *const *jobs,
                          int n, int *released, struct vg_err *err);

/* A failed step: when retryable and retries+1 < max_attempts, re-queue after
 * backoff; otherwise running → failed with error {code,message}.  *final_out says which. */
int vg_queue_fail(struct vg_db *db, struct vg_arena *a, const struct vg_job *job, const char *code,
                  const char *message, bool retryable, long backoff_ms, bool *final_out,
                  struct vg_err *err);

/* queued|blocked|running → cancelled.  Returns VG_OK, VG_ENOTFOUND for an unknown id, or
 * VG_ECONFLICT when already finished (succeeded, failed or cancelled).  A worker running it
 * notices at its next heartbeat or step boundary. */
int vg_queue_cancel(struct vg_db *db, struct vg_arena *a, const char *job_id, struct vg_err *err);

/* Expired leases → queued again (counted as a failed try); returns how many in *n. Jobs that
 * have used up their tries fail with code "lease_expired". */
int vg_queue_rescue_expired(struct vg_db *db, struct vg_arena *a, int *n, struct vg_err *err);
/* At start-up: jobs locked by owners starting with prefix (our own previous life) go back
 * to queued at once.  This too counts as a failed try (code "worker_restarted"), so a job
 * that kills its runner cannot loop for ever. */
int vg_queue_rescue_owner(struct vg_db *db, struct vg_arena *a, const char *owner_prefix, int *n,
                          struct vg_err *err);

/* Exponential backoff with full jitter: random in [base*2^retries/2, base*2^retries],
 * capped at max.  rnd is a uniform random 0..1 (injectable for tests). */
long vg_backoff_ms(int retries, long base_ms, long max_ms, double rnd);

#endif
