#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_buf.h"
#include "vg_json.h"
#include "vg_log.h"
#include "vg_queue.h"
#include "vg_str.h"

/* Rows one rescue pass handles; the next tick takes the rest. */
#define RESCUE_BATCH "500"

/* The guard of every update of a running job: still running, same claim, same owner.  The
 * state test is written so that no index on state can serve it: the row is found through
 * the primary key, never by walking the (dead) entries of every running job. */
#define RUNNING(alias) "(" alias "state = 'running') IS TRUE"
#define FENCE          "id = $1 AND " RUNNING("") " AND attempt = $2 AND locked_by = $3"

#define JOB_COLUMNS                                                                                \
	"j.id, j.kind, j.step, j.attempt, j.retries, j.max_attempts, j.payload::text AS payload, " \
	"j.state_data::text AS state_data, j.locked_by"

static void json_release(void *p)
{
	json_decref(p);
}

/* Parses jsonb text from the database into an arena-owned value ({} when unreadable). */
static json_t *load_json(struct vg_arena *a, const char *text)
{
	json_error_t jerr;
	json_t *v = text ? json_loads(text, JSON_DECODE_ANY, &jerr) : NULL;

	if (!v) {
		if (text)
			log_warnx("queue: unreadable jsonb from the database: %s", jerr.text);
		v = json_object();
	}
	vg_arena_cleanup(a, json_release, v);
	return v;
}

/* jsonb text of a payload or state; no value is {}.  Our own values always serialise:
 * a failure is out of memory. */
static char *dump_json(struct vg_arena *a, const json_t *v)
{
	char *out = v ? vg_json_dump(a, v) : vg_arena_strdup(a, "{}");

	if (!out)
		vg_oom(0);
	return out;
}

static int notify(struct vg_db *db, struct vg_arena *a, struct vg_err *err)
{
	return vg_db_q(db, a, err, "SELECT pg_notify($1, '')", VG_QUEUE_CHANNEL) ? VG_OK : err->rc;
}

static bool in_transaction(struct vg_db *db)
{
	PGconn *c = vg_db_conn(db);

	if (!c)
		return false;
	PGTransactionStatusType ts = PQtransactionStatus(c);
	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
}

/* Opens a transaction unless the caller has one; *own says whether we must end it. */
static int begin_if_needed(struct vg_db *db, struct vg_arena *a, bool *own, struct vg_err *err)
{
	*own = !in_transaction(db);
	return *own ? vg_db_begin(db, a, err) : VG_OK;
}

static int end_if_own(struct vg_db *db, struct vg_arena *a, bool own, int rc, struct vg_err *err)
{
	if (!own)
		return rc;
	if (rc != VG_OK) {
		vg_db_rollback(db);
		return rc;
	}
	return vg_db_commit(db, a, err);
}

/* A fenced update matched nothing: say why (cancelled, or someone else's now). */
static int lost(struct vg_db *db, struct vg_arena *a, const struct vg_job *job, struct vg_err *err)
{
	struct vg_err qerr;
	PGresult *r;
	const char *state = NULL;

	vg_err_clear(&qerr);
	r = vg_db_q(db, a, &qerr, "SELECT state, attempt, locked_by FROM jobs WHERE id = $1",
	            job->id);
	if (r && PQntuples(r) == 1)
		state = vg_db_get(r, 0, "state");
	if (vg_str_eq(state, "cancelled"))
		return vg_err_set(err, VG_ECANCELLED, VG_QUEUE_CANCELLED, "job %s was cancelled",
		                  job->id);
	return vg_err_set(
	    err, VG_ECANCELLED, VG_QUEUE_LOST,
	    "job %s is no longer ours (state %s, claimed %s times, by %s)", job->id,
	    state ? state : "gone", r && PQntuples(r) == 1 ? vg_db_get(r, 0, "attempt") : "?",
	    r && PQntuples(r) == 1 && vg_db_get(r, 0, "locked_by") ? vg_db_get(r, 0, "locked_by")
	                                                           : "nobody");
}

static void fence_params(const struct vg_job *job, char attempt[16])
{
	snprintf(attempt, 16, "%d", job->attempt);
}

int vg_queue_enqueue(struct vg_db *db, struct vg_arena *a, const char *kind, const json_t *payload,
                     int priority, int max_attempts, char **id_out, struct vg_err *err)
{
	char prio[16], maxa[16];
	PGresult *r;

	snprintf(prio, sizeof prio, "%d", priority);
	snprintf(maxa, sizeof maxa, "%d", max_attempts);
	/* The NOTIFY is delivered when the insert commits, never before. */
	r = vg_db_q(db, a, err,
	            "WITH " VG_QUEUE_INSERT_CTE("$1", "$2", "$3", "$4") " SELECT job.id FROM job, "
	                                                                "job_notify",
	            kind, dump_json(a, payload), prio, maxa);
	if (!r)
		return err->rc;
	if (id_out)
		*id_out = vg_arena_strdup(a, vg_db_get(r, 0, "id"));
	return VG_OK;
}

static int enqueue_after_tx(struct vg_db *db, struct vg_arena *a, const char *kind,
                            const json_t *payload, int priority, int max_attempts, const char *deps,
                            int ndeps, char **id_out, struct vg_err *err)
{
	char prio[16], maxa[16];
	PGresult *r;

	/* Share-lock the dependencies: one that is completing now either committed before we
	 * look (we see it succeeded) or waits for us (and then sees our job_deps rows). */
	r = vg_db_q(db, a, err,
	            "SELECT id FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE", deps);
	if (!r)
		return err->rc;
	if (PQntuples(r) != ndeps)
		return vg_err_set(err, VG_ENOTFOUND, NULL,
		                  "%d of the %d jobs this one depends on do not exist",
		                  ndeps - PQntuples(r), ndeps);
	snprintf(prio, sizeof prio, "%d", priority);
	snprintf(maxa, sizeof maxa, "%d", max_attempts);
	r = vg_db_q(db, a, err,
	            "WITH j AS (INSERT INTO jobs (kind, payload, priority, max_attempts, state) "
	            "VALUES ($1, $2::jsonb, $3::smallint, $4::int, CASE WHEN EXISTS (SELECT 1 FROM "
	            "jobs WHERE id = ANY($5::uuid[]) AND state <> 'succeeded') THEN 'blocked' ELSE "
	            "'queued' END) RETURNING id, state), "
	            "d AS (INSERT INTO job_deps (job_id, depends_on) "
	            "SELECT j.id, dep FROM j, unnest($5::uuid[]) AS dep ON CONFLICT DO NOTHING) "
	            "SELECT id, state FROM j",
	            kind, dump_json(a, payload), prio, maxa, deps);
	if (!r)
		return err->rc;
	if (id_out)
		*id_out = vg_arena_strdup(a, vg_db_get(r, 0, "id"));
	if (vg_str_eq(vg_db_get(r, 0, "state"), "queued"))
		return notify(db, a, err);
	return VG_OK;
}

int vg_queue_enqueue_after(struct vg_db *db, struct vg_arena *a, const char *kind,
                           const json_t *payload, int priority, int max_attempts,
                           const char *const *deps, int ndeps, char **id_out, struct vg_err *err)
{
	char *arr;
	bool own;
	int rc;

	if (ndeps <= 0)
		return vg_queue_enqueue(db, a, kind, payload, priority, max_attempts, id_out, err);
	int bad;
	arr = vg_db_uuid_array(a, deps, ndeps, &bad);
	if (!arr)
		return vg_err_set(err, VG_ENOTFOUND, NULL, "dependency %.64s is not a job id",
		                  deps[bad]);
	rc = begin_if_needed(db, a, &own, err);
	if (rc)
		return rc;
	rc =
	    enqueue_after_tx(db, a, kind, payload, priority, max_attempts, arr, ndeps, id_out, err);
	return end_if_own(db, a, own, rc, err);
}

/* One claim statement per lane and size: a partial index matches only a literal
 * predicate, and a literal LIMIT lets the plan be cached (with LIMIT $1 the generic plan
 * assumes a tenth of the table, so every call was planned afresh). */
#define CLAIM_SQL(lane_predicate, limit)                                                           \
	"WITH c AS MATERIALIZED (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= "        \
	"now() AND " lane_predicate " ORDER BY priority, run_at, id LIMIT " limit " FOR UPDATE "   \
	"SKIP LOCKED) "                                                                            \
	"UPDATE jobs j SET state = 'running', attempt = j.attempt + 1, locked_by = $1, "           \
	"lease_until = now() + make_interval(secs => $2::int), heartbeat_at = now(), "             \
	"started_at = coalesce(j.started_at, now()) FROM c WHERE j.id = c.id "                     \
	"RETURNING " JOB_COLUMNS

#define CLAIM_SIZES(pred)                                                                          \
	{                                                                                          \
		CLAIM_SQL(pred, "1"), CLAIM_SQL(pred, "2"), CLAIM_SQL(pred, "4"),                  \
		    CLAIM_SQL(pred, "8"), CLAIM_SQL(pred, "16"), CLAIM_SQL(pred, "32"),            \
		    CLAIM_SQL(pred, "64"), CLAIM_SQL(pred, "128"), CLAIM_SQL(pred, "256"),         \
		    CLAIM_SQL(pred, "512")                                                         \
	}
#define CLAIM_SIZE_COUNT 10

static const char *const claim_cpu[CLAIM_SIZE_COUNT] =
    CLAIM_SIZES("step NOT LIKE 'remote.%' AND kind <> '" VG_QUEUE_WEBHOOK_KIND "'");
static const char *const claim_remote[CLAIM_SIZE_COUNT] = CLAIM_SIZES("step LIKE 'remote.%'");
static const char *const claim_webhook[CLAIM_SIZE_COUNT] =
    CLAIM_SIZES("kind = '" VG_QUEUE_WEBHOOK_KIND "'");

int vg_queue_claim_limit(int n)
{
	int size = 1;

	if (n <= 0)
		return 0;
	while (size * 2 <= n && size < VG_QUEUE_CLAIM_MAX)
		size *= 2;
	return size;
}

int vg_queue_claim(struct vg_db *db, struct vg_arena *a, const char *owner, int lease_s,
                   enum vg_lane lane, int n, struct vg_job *jobs, int *count, struct vg_err *err)
{
	const char *const *sizes = lane == VG_LANE_REMOTE    ? claim_remote
	                           : lane == VG_LANE_WEBHOOK ? claim_webhook
	                                                     : claim_cpu;
	int limit = vg_queue_claim_limit(n), size_index = 0;
	char lease[16];
	PGresult *r;
	int rows;

	*count = 0;
	if (limit == 0)
		return VG_OK;
	while ((1 << size_index) < limit)
		size_index++;
	snprintf(lease, sizeof lease, "%d", lease_s);
	/* MATERIALIZED keeps the LIMIT subquery from being re-evaluated per row (it would lock
	 * and update more rows than asked). Autocommit: the claim is committed at once. */
	r = vg_db_q(db, a, err, sizes[size_index], owner, lease);
	if (!r)
		return err->rc;
	rows = PQntuples(r);
	for (int i = 0; i < rows && i < limit; i++) {
		struct vg_job *j = &jobs[i];

		j->id = vg_arena_strdup(a, vg_db_get(r, i, "id"));
		j->kind = vg_arena_strdup(a, vg_db_get(r, i, "kind"));
		j->step = vg_arena_strdup(a, vg_db_get(r, i, "step"));
		j->attempt = (int)vg_db_get_ll(r, i, "attempt", 0);
		j->retries = (int)vg_db_get_ll(r, i, "retries", 0);
		j->max_attempts = (int)vg_db_get_ll(r, i, "max_attempts", 1);
		j->payload = load_json(a, vg_db_get(r, i, "payload"));
		j->state_data = load_json(a, vg_db_get(r, i, "state_data"));
		j->owner = vg_arena_strdup(a, vg_db_get(r, i, "locked_by"));
		*count = i + 1;
	}
	return VG_OK;
}

int vg_queue_heartbeat(struct vg_db *db, struct vg_arena *a, const struct vg_job *job, int lease_s,
                       struct vg_err *err)
{
	char att[16], lease[16];
	PGresult *r;

	fence_params(job, att);
	snprintf(lease, sizeof lease, "%d", lease_s);
	r = vg_db_q(db, a, err,
	            "UPDATE jobs SET lease_until = now() + make_interval(secs => $4::int), "
	            "heartbeat_at = now() WHERE " FENCE " RETURNING id",
	            job->id, att, job->owner, lease);
	if (!r)
		return err->rc;
	return PQntuples(r) == 1 ? VG_OK : lost(db, a, job, err);
}

/* The {id,…} and {attempt,…} array parameters of a batch of jobs, in arena memory: with
 * WITH ORDINALITY the statement returns each matched job's 1-based position. */
static void batch_params(struct vg_arena *a, const struct vg_job *const *jobs, int n,
                         char **ids_out, char **attempts_out)
{
	struct vg_buf ids, attempts;

	vg_buf_init(&ids, (size_t)n * 40 + 2);
	vg_buf_init(&attempts, (size_t)n * 12 + 2);
	vg_buf_puts(&ids, "{");
	vg_buf_puts(&attempts, "{");
	for (int i = 0; i < n; i++) {
		vg_buf_printf(&ids, "%s%s", i ? "," : "", jobs[i]->id);
		vg_buf_printf(&attempts, "%s%d", i ? "," : "", jobs[i]->attempt);
	}
	vg_buf_puts(&ids, "}");
	vg_buf_puts(&attempts, "}");
	*ids_out = vg_arena_strdup(a, vg_buf_str(&ids));
	*attempts_out = vg_arena_strdup(a, vg_buf_str(&attempts));
	vg_buf_free(&ids);
	vg_buf_free(&attempts);
}

/* The rows of a fenced batch statement (RETURNING h.i) say which jobs it matched: the
 * others are lost (lost_out may be NULL); returns how many matched. */
static int batch_matched(const PGresult *r, int n, bool *lost_out)
{
	int matched = 0;

	if (lost_out)
		for (int i = 0; i < n; i++)
			lost_out[i] = true;
	for (int row = 0; row < PQntuples(r); row++) {
		long long i = vg_db_get_ll(r, row, "i", 0);

		if (i >= 1 && i <= n) {
			matched++;
			if (lost_out)
				lost_out[i - 1] = false;
		}
	}
	return matched;
}

/* One owner holds a batch: the owner is fenced once, the claim (attempt) per job. */
#define BATCH_FENCE                                                                                \
	"FROM unnest($1::uuid[], $2::int[]) WITH ORDINALITY AS h(id, attempt, i) WHERE j.id = "    \
	"h.id AND " RUNNING("j.") " AND j.attempt = h.attempt AND j.locked_by = $3 "

int vg_queue_heartbeat_many(struct vg_db *db, struct vg_arena *a, const struct vg_job *const *jobs,
                            int n, int lease_s, bool *lost_out, struct vg_err *err)
{
	char *ids, *attempts, lease[16];
	PGresult *r;

	if (n <= 0)
		return VG_OK;
	batch_params(a, jobs, n, &ids, &attempts);
	snprintf(lease, sizeof lease, "%d", lease_s);
	r = vg_db_q(db, a, err,
	            "UPDATE jobs j SET lease_until = now() + make_interval(secs => $4::int), "
	            "heartbeat_at = now() " BATCH_FENCE "RETURNING h.i",
	            ids, attempts, jobs[0]->owner, lease);
	if (!r) {
		for (int i = 0; i < n; i++)
			lost_out[i] = true;
		return err->rc;
	}
	batch_matched(r, n, lost_out);
	return VG_OK;
}

int vg_queue_advance(struct vg_db *db, struct vg_arena *a, struct vg_job *job,
                     const char *next_step, int lease_s, struct vg_err *err)
{
	char att[16], lease[16];
	PGresult *r;

	fence_params(job, att);
	snprintf(lease, sizeof lease, "%d", lease_s);
	r = vg_db_q(db, a, err,
	            "UPDATE jobs SET step = $4, state_data = $5::jsonb, lease_until = now() + "
	            "make_interval(secs => $6::int), heartbeat_at = now() WHERE " FENCE
	            " RETURNING id",
	            job->id, att, job->owner, next_step, dump_json(a, job->state_data), lease);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return lost(db, a, job, err);
	job->step = vg_arena_strdup(a, next_step);
	return VG_OK;
}

int vg_queue_defer(struct vg_db *db, struct vg_arena *a, struct vg_job *job, const char *next_step,
                   long delay_ms, struct vg_err *err)
{
	char att[16], delay[32];
	PGresult *r;

	fence_params(job, att);
	snprintf(delay, sizeof delay, "%ld", delay_ms > 0 ? delay_ms : 0);
	r = vg_db_q(
	    db, a, err,
	    "UPDATE jobs SET state = 'queued', step = $4, state_data = $5::jsonb, run_at = "
	    "now() + make_interval(secs => $6::float8 / 1000), lease_until = NULL, locked_by "
	    "= NULL WHERE " FENCE " RETURNING id",
	    job->id, att, job->owner, next_step, dump_json(a, job->state_data), delay);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return lost(db, a, job, err);
	job->step = vg_arena_strdup(a, next_step);
	return delay_ms > 0 ? VG_OK : notify(db, a, err);
}

/* Blocked jobs whose every dependency has now succeeded → queued, in the completing
 * transaction; done is a uuid[] parameter of the jobs that just succeeded. */
static int unblock_dependants(struct vg_db *db, struct vg_arena *a, const char *done,
                              struct vg_err *err)
{
	PGresult *r;

	/* Lock the waiting dependants first: two dependencies completing at once then take
	 * turns, and the second one's next statement sees the first one's commit. */
	r = vg_db_q(db, a, err,
	            "SELECT b.id FROM jobs b JOIN job_deps d ON d.job_id = b.id WHERE d.depends_on "
	            "= ANY($1::uuid[]) AND b.state = 'blocked' ORDER BY b.id FOR UPDATE OF b",
	            done);
	if (!r)
		return err->rc;
	if (PQntuples(r) == 0)
		return VG_OK;
	r = vg_db_q(
	    db, a, err,
	    "UPDATE jobs b SET state = 'queued', run_at = now() WHERE b.state = 'blocked' AND "
	    "b.id IN (SELECT job_id FROM job_deps WHERE depends_on = ANY($1::uuid[])) AND NOT "
	    "EXISTS (SELECT 1 FROM job_deps d JOIN jobs o ON o.id = d.depends_on WHERE d.job_id = "
	    "b.id AND o.state <> 'succeeded') RETURNING b.id",
	    done);
	if (!r)
		return err->rc;
	if (PQntuples(r) > 0) {
		log_info("queue: %d dependants unblocked", PQntuples(r));
		return notify(db, a, err);
	}
	return VG_OK;
}

static int complete_tx(struct vg_db *db, struct vg_arena *a, const struct vg_job *job,
                       struct vg_err *err)
{
	char att[16];
	PGresult *r;

	fence_params(job, att);
	r = vg_db_q(db, a, err,
	            "UPDATE jobs SET state = 'succeeded', finished_at = now(), lease_until = NULL "
	            "WHERE " FENCE " RETURNING id",
	            job->id, att, job->owner);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return lost(db, a, job, err);
	return unblock_dependants(db, a, vg_arena_printf(a, "{%s}", job->id), err);
}

int vg_queue_complete(struct vg_db *db, struct vg_arena *a, const struct vg_job *job,
                      struct vg_err *err)
{
	bool own;
	int rc = begin_if_needed(db, a, &own, err);

	if (rc)
		return rc;
	rc = complete_tx(db, a, job, err);
	return end_if_own(db, a, own, rc, err);
}

static int complete_many_tx(struct vg_db *db, struct vg_arena *a, const struct vg_job *const *jobs,
                            int n, bool *lost_out, struct vg_err *err)
{
	char *ids, *attempts;
	PGresult *r;

	batch_params(a, jobs, n, &ids, &attempts);
	r = vg_db_q(db, a, err,
	            "UPDATE jobs j SET state = 'succeeded', finished_at = now(), lease_until = "
	            "NULL " BATCH_FENCE "RETURNING h.i",
	            ids, attempts, jobs[0]->owner);
	if (!r)
		return err->rc;
	if (batch_matched(r, n, lost_out) == 0)
		return VG_OK;
	/* Lost jobs in the array unblock nothing: their state is not succeeded. */
	return unblock_dependants(db, a, ids, err);
}

int vg_queue_complete_many(struct vg_db *db, struct vg_arena *a, const struct vg_job *const *jobs,
                           int n, bool *lost_out, struct vg_err *err)
{
	bool own;
	int rc;

	if (n <= 0)
		return VG_OK;
	rc = begin_if_needed(db, a, &own, err);
	if (rc)
		return rc;
	rc = complete_many_tx(db, a, jobs, n, lost_out, err);
	return end_if_own(db, a, own, rc, err);
}

int vg_queue_release_many(struct vg_db *db, struct vg_arena *a, const struct vg_job *const *jobs,
                          int n, int *released, struct vg_err *err)
{
	char *ids, *attempts;
	PGresult *r;

	*released = 0;
	if (n <= 0)
		return VG_OK;
	batch_params(a, jobs, n, &ids, &attempts);
	/* run_at stays: a job handed back keeps its place in the queue. */
	r = vg_db_q(
	    db, a, err,
	    "UPDATE jobs j SET state = 'queued', lease_until = NULL, locked_by = NULL " BATCH_FENCE
	    "RETURNING h.i",
	    ids, attempts, jobs[0]->owner);
	if (!r)
		return err->rc;
	*released = batch_matched(r, n, NULL);
	return *released > 0 ? notify(db, a, err) : VG_OK;
}

int vg_queue_fail(struct vg_db *db, struct vg_arena *a, const struct vg_job *job, const char *code,
                  const char *message, bool retryable, long backoff_ms, bool *final_out,
                  struct vg_err *err)
{
	char att[16], delay[32];
	PGresult *r;

	fence_params(job, att);
	snprintf(delay, sizeof delay, "%ld", backoff_ms > 0 ? backoff_ms : 0);
	r = vg_db_q(
	    db, a, err,
	    "WITH x AS (SELECT $4::boolean AND retries + 1 < max_attempts AS again FROM jobs "
	    "WHERE id = $1) "
	    "UPDATE jobs j SET retries = j.retries + 1, "
	    "state = CASE WHEN x.again THEN 'queued' ELSE 'failed' END, "
	    "run_at = CASE WHEN x.again THEN now() + make_interval(secs => $5::float8 / 1000) "
	    "ELSE j.run_at END, "
	    "finished_at = CASE WHEN x.again THEN NULL ELSE now() END, "
	    "locked_by = CASE WHEN x.again THEN NULL ELSE j.locked_by END, lease_until = NULL, "
	    "last_error = jsonb_build_object('code', $6::text, 'message', $7::text, "
	    "'retryable', $4::boolean) "
	    "FROM x WHERE j.id = $1 AND " RUNNING("j.") " AND j.attempt = $2 AND "
	                                                "j.locked_by = $3 RETURNING j.state",
	    job->id, att, job->owner, retryable ? "true" : "false", delay, code, message);
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return lost(db, a, job, err);
	bool final = vg_str_eq(vg_db_get(r, 0, "state"), "failed");
	if (final_out)
		*final_out = final;
	return VG_OK;
}

int vg_queue_cancel(struct vg_db *db, struct vg_arena *a, const char *job_id, struct vg_err *err)
{
	PGresult *r;
	const char *state;

	if (!job_id || !vg_str_is_uuid(job_id))
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no job has the id %.64s",
		                  job_id ? job_id : "(null)");
	/* The state subquery reads the snapshot before the update: when nothing matched it is
	 * the state that stopped us. */
	r = vg_db_q(
	    db, a, err,
	    "WITH c AS (UPDATE jobs SET state = 'cancelled', finished_at = now(), lease_until "
	    "= NULL, last_error = jsonb_build_object('code', 'cancelled', 'message', 'the job "
	    "was cancelled', 'retryable', false) WHERE id = $1 AND state IN ('blocked', "
	    "'queued', 'running') RETURNING id) "
	    "SELECT (SELECT count(*) FROM c) AS n, (SELECT state FROM jobs WHERE id = $1) AS "
	    "state",
	    job_id);
	if (!r)
		return err->rc;
	if (vg_db_get_ll(r, 0, "n", 0) == 1)
		return VG_OK;
	state = vg_db_get(r, 0, "state");
	if (!state)
		return vg_err_set(err, VG_ENOTFOUND, NULL, "no job has the id %s", job_id);
	return vg_err_set(err, VG_ECONFLICT, "already_finished",
	                  "job %s has already finished (%s) and cannot be cancelled", job_id,
	                  state);
}

/* Shared by both rescues: running → queued (a try is used up) or → failed when none is left. */
#define RESCUE_SET                                                                                 \
	"retries = j.retries + 1, "                                                                \
	"state = CASE WHEN j.retries + 1 < j.max_attempts THEN 'queued' ELSE 'failed' END, "       \
	"run_at = now(), lease_until = NULL, "                                                     \
	"locked_by = CASE WHEN j.retries + 1 < j.max_attempts THEN NULL ELSE j.locked_by END, "    \
	"finished_at = CASE WHEN j.retries + 1 < j.max_attempts THEN NULL ELSE now() END, "        \
	"last_error = jsonb_build_object('code', $1::text, 'message', format($2::text, "           \
	"j.locked_by, j.step), 'retryable', true) "

static int rescue(struct vg_db *db, struct vg_arena *a, const char *sql, const char *code,
                  const char *message, const char *prefix, int *n, struct vg_err *err)
{
	PGresult *r = prefix ? vg_db_q(db, a, err, sql, code, message, prefix)
	                     : vg_db_q(db, a, err, sql, code, message);
	long long requeued;

	*n = 0;
	if (!r)
		return err->rc;
	*n = (int)vg_db_get_ll(r, 0, "n", 0);
	requeued = vg_db_get_ll(r, 0, "requeued", 0);
	if (*n > 0)
		log_info("queue: rescued %d jobs (%s): %lld queued again, %lld failed for good", *n,
		         code, requeued, *n - requeued);
	return requeued > 0 ? notify(db, a, err) : VG_OK;
}

int vg_queue_rescue_expired(struct vg_db *db, struct vg_arena *a, int *n, struct vg_err *err)
{
	/* SKIP LOCKED: a row a worker is updating right now is not expired in any useful
	 * sense; the re-check of the lease in the outer WHERE sees the committed version. */
	return rescue(db, a,
	              "WITH r AS (UPDATE jobs j SET " RESCUE_SET
	              "FROM (SELECT id FROM jobs WHERE state = 'running' AND lease_until < now() "
	              "ORDER BY lease_until LIMIT " RESCUE_BATCH " FOR UPDATE SKIP LOCKED) x "
	              "WHERE j.id = x.id AND j.state = 'running' AND j.lease_until < now() "
	              "RETURNING j.state) "
	              "SELECT count(*) AS n, count(*) FILTER (WHERE state = 'queued') AS requeued "
	              "FROM r",
	              "lease_expired", "the worker %s stopped renewing its lease during step %s",
	              NULL, n, err);
}

int vg_queue_rescue_owner(struct vg_db *db, struct vg_arena *a, const char *owner_prefix, int *n,
                          struct vg_err *err)
{
	/* left() rather than LIKE: the prefix is data, and _ or % in a host name are not
	 * patterns. */
	return rescue(db, a,
	              "WITH r AS (UPDATE jobs j SET " RESCUE_SET
	              "WHERE j.state = 'running' AND left(j.locked_by, length($3)) = $3 "
	              "RETURNING j.state) "
	              "SELECT count(*) AS n, count(*) FILTER (WHERE state = 'queued') AS requeued "
	              "FROM r",
	              "worker_restarted", "the runner restarted while %s was running step %s",
	              owner_prefix, n, err);
}

long vg_backoff_ms(int retries, long base_ms, long max_ms, double rnd)
{
	long cap = base_ms;

	if (base_ms <= 0 || max_ms <= 0)
		return 0;
	if (retries < 0)
		retries = 0;
	/* Doubling stops at max, so it never overflows. */
	for (int i = 0; i < retries && cap < max_ms; i++)
		cap = cap > max_ms / 2 ? max_ms : cap * 2;
	if (cap > max_ms)
		cap = max_ms;
	if (!(rnd >= 0)) /* also NaN */
		rnd = 0;
	if (rnd > 1)
		rnd = 1;
	long low = cap / 2;
	return low + (long)(rnd * (double)(cap - low));
}
