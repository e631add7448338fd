#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_str.h"
#include "vg_super.h"

/* Time kept back from runner.shutdown_timeout_s to hand an abandoned job back before the
 * master's SIGKILL. */
#define HANDBACK_MARGIN_MS 5000
/* Steps run back to back for one claim before the job goes back to the queue (a step that
 * says "next" without moving on must not spin a worker for ever). */
#define MAX_STEPS_PER_CLAIM 16
/* Longest pause between connection attempts while the database is down. */
#define DB_DOWN_MAX_WAIT_MS 10000

const struct runner_kind runner_kinds[] = {
    {"video.generate", j_video_step, j_video_failed, j_video_cancelled, j_video_reconcile},
    {"movie.plan", j_movie_plan_step, j_movie_plan_failed, NULL, NULL},
    {"movie.assemble", j_movie_assemble_step, j_movie_assemble_failed, j_movie_assemble_cancelled,
     j_movie_reconcile},
    {"webhook", j_webhook_step, j_webhook_failed, j_webhook_cancelled, j_webhook_reconcile},
    {"noop", j_noop_step, NULL, NULL, NULL}, /* benchmarks only: runner.allow_noop */
    {NULL, NULL, NULL, NULL, NULL},
};

const struct runner_kind *runner_kind_find(const char *kind)
{
	for (const struct runner_kind *k = runner_kinds; k->kind; k++)
		if (vg_str_eq(k->kind, kind))
			return k;
	return NULL;
}

long long runner_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool runner_should_abandon(struct runner_worker *w)
{
	long long grace = (long long)w->conf->runner_shutdown_timeout_s * 1000 - HANDBACK_MARGIN_MS;

	if (!vg_worker_stop)
		return false;
	if (grace < 500)
		grace = 500;
	if (!w->stop_seen_ms) {
		w->stop_seen_ms = runner_now_ms();
		log_info("stopping: the current step may run %lld ms more before it is handed back",
		         grace);
	}
	return runner_now_ms() - w->stop_seen_ms >= grace;
}

/* The steps run in the step arena, which is reset after each one: move what the job keeps
 * into the job arena first. */
static void json_release(void *p)
{
	json_decref(p);
}

static void rehome(struct runner_worker *w, struct vg_job *job)
{
	job->step = vg_arena_strdup(w->job_arena, job->step);
	json_incref(job->payload);
	vg_arena_cleanup(w->job_arena, json_release, job->payload);
	json_incref(job->state_data);
	vg_arena_cleanup(w->job_arena, json_release, job->state_data);
}

/* Gives the job back to the queue with its current step, at once and without counting a
 * try: we are stopping, the job did nothing wrong. */
static void hand_back(struct runner_worker *w, struct vg_job *job)
{
	struct vg_err err;

	vg_err_clear(&err);
	if (vg_queue_defer(w->db, w->step_arena, job, job->step, 0, &err) == VG_OK)
		log_info("step %s handed back to the queue", job->step);
	else
		log_warnx("cannot hand step %s back (%s); its lease will expire", job->step,
		          err.msg);
	vg_arena_reset(w->step_arena);
}

/* Only what steps say on purpose: library calls use VG_ENOTFOUND and the like for
 * conditions that may pass. */
static bool permanent(int rc)
{
	return rc == VG_EINVAL || rc == VG_EBADREQ || rc == VG_EFORBIDDEN;
}

void runner_job_cancelled(struct runner_worker *w, const struct runner_kind *k, struct vg_job *job)
{
	struct vg_err err;

	vg_err_clear(&err);
	log_info("the job was cancelled; stopping it");
	if (k && k->cancelled && k->cancelled(w, job, &err) != VG_OK)
		log_warnx("cannot record the cancellation: %s", err.msg);
	vg_db_end_request(w->db);
	vg_arena_reset(w->step_arena);
}

/* A step failed: retry later, or fail for good together with the kind's rows. */
void runner_job_failed(struct runner_worker *w, const struct runner_kind *k, struct vg_job *job,
                       const struct vg_err *why)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	bool retryable = !permanent(why->rc), final = false;
	long backoff = vg_backoff_ms(job->retries, c->runner_backoff_base_ms,
	                             c->runner_backoff_max_ms, drand48());
	const char *code = why->code[0] ? why->code : "internal";
	struct vg_err err;
	int rc;

	vg_err_clear(&err);
	rc = vg_db_begin(w->db, a, &err);
	if (rc == VG_OK)
		rc = vg_queue_fail(w->db, a, job, code, why->msg, retryable, backoff, &final, &err);
	if (rc == VG_OK && final && k && k->failed)
		rc = k->failed(w, job, why, &err);
	if (rc == VG_OK)
		rc = vg_db_commit(w->db, a, &err);
	if (rc != VG_OK) {
		vg_db_rollback(w->db);
		vg_arena_reset(a);
		if (rc == VG_ECANCELLED && vg_str_eq(err.code, VG_QUEUE_CANCELLED))
			runner_job_cancelled(w, k, job);
		else
			log_warnx("step %s failed (%s) and the failure could not be recorded: %s",
			          job->step, why->msg, err.msg);
		return;
	}
	if (final)
		log_warnx("step %s failed for good after %d tries: %s", job->step, job->retries + 1,
		          why->msg);
	else
		log_warnx("step %s failed (try %d of %d), retrying in %ld ms: %s", job->step,
		          job->retries + 1, job->max_attempts, backoff, why->msg);
	vg_arena_reset(a);
}

static void on_step_error(struct runner_worker *w, const struct runner_kind *k, struct vg_job *job,
                          int rc, const struct vg_err *err)
{
	if (rc != VG_ECANCELLED) {
		runner_job_failed(w, k, job, err);
		return;
	}
	if (vg_str_eq(err->code, VG_QUEUE_CANCELLED))
		runner_job_cancelled(w, k, job);
	else if (vg_str_eq(err->code, RUNNER_SHUTDOWN))
		hand_back(w, job);
	else
		log_warnx("dropping step %s: %s", job->step, err->msg);
}

/* A step finished and left the completion to us: recorded with others when the kind has
 * nothing to clean up after a cancellation, else at once, as the step would have. */
static void complete(struct runner_worker *w, const struct runner_kind *k, struct vg_job *job)
{
	struct vg_err err;
	int rc;

	if (!k->cancelled) {
		runner_batch_done(w, k, job);
		return;
	}
	vg_err_clear(&err);
	rc = vg_queue_complete(w->db, w->step_arena, job, &err);
	vg_arena_reset(w->step_arena);
	if (rc != VG_OK)
		on_step_error(w, k, job, rc, &err);
}

void runner_run_job(struct runner_worker *w, struct vg_job *job, bool quiet)
{
	const struct runner_kind *k = runner_kind_find(job->kind);
	void (*say)(const char *fmt, ...) = quiet ? log_debug : log_info;
	struct vg_err err;

	vg_log_set_job(job->id);
	say("claimed %s at step %s (claim %d, try %d of %d)", job->kind, job->step, job->attempt,
	    job->retries + 1, job->max_attempts);
	if (!k) {
		vg_err_set(&err, VG_EINVAL, "unknown_kind", "no runner handles jobs of kind %s",
		           job->kind);
		runner_job_failed(w, NULL, job, &err);
		vg_log_set_job(NULL);
		return;
	}
	vg_metrics_inflight_add(job->kind, 1);
	for (int steps = 1;; steps++) {
		long long t0 = runner_now_ms();
		int rc;

		vg_err_clear(&err);
		rc = k->step(w, job, &err);
		vg_db_end_request(w->db); /* a step never leaves a transaction open */
		rehome(w, job);
		vg_arena_reset(w->step_arena);
		if (rc == RUNNER_NEXT) {
			log_debug("step done in %lld ms; next: %s", runner_now_ms() - t0,
			          job->step);
			if (vg_worker_stop || steps == MAX_STEPS_PER_CLAIM) {
				hand_back(w, job);
				break;
			}
			continue;
		}
		if (rc == RUNNER_DONE || rc == RUNNER_COMPLETE) {
			say("step done in %lld ms; the job %s", runner_now_ms() - t0,
			    rc == RUNNER_DONE ? "left our hands" : "is complete");
			if (rc == RUNNER_COMPLETE)
				complete(w, k, job);
			break;
		}
		on_step_error(w, k, job, rc, &err);
		break;
	}
	vg_metrics_inflight_add(job->kind, -1);
	vg_db_end_request(w->db);
	vg_log_set_job(NULL);
}

/* True when notifications were waiting (work may be due). */
bool runner_drain_notifies(PGconn *c)
{
	PGnotify *n;
	bool any = false;

	while ((n = PQnotifies(c)) != NULL) {
		any = true;
		PQfreemem(n);
	}
	return any;
}

/* LISTEN on the current session; again after vg_db reconnected (a new backend pid). */
PGconn *runner_listen(struct runner_worker *w, int *backend_pid)
{
	struct vg_err err;
	PGconn *c;

	vg_err_clear(&err);
	if (vg_db_ensure(w->db, &err) != VG_OK) {
		if (w->db_down_since_ms == 0) {
			w->db_down_since_ms = runner_now_ms();
			log_warnx("no jobs until the database is back: %s", err.msg);
		}
		return NULL;
	}
	if (w->db_down_since_ms) {
		log_info("the database is back after %lld ms",
		         runner_now_ms() - w->db_down_since_ms);
		w->db_down_since_ms = 0;
	}
	c = vg_db_conn(w->db);
	if (c && PQstatus(c) == CONNECTION_OK && PQbackendPID(c) == *backend_pid)
		return c;
	if (!vg_db_q0(w->db, w->job_arena, &err, "LISTEN " VG_QUEUE_CHANNEL)) {
		log_warnx("cannot LISTEN %s: %s", VG_QUEUE_CHANNEL, err.msg);
		vg_arena_reset(w->job_arena);
		return NULL;
	}
	vg_arena_reset(w->job_arena);
	c = vg_db_conn(w->db);
	*backend_pid = c ? PQbackendPID(c) : 0;
	log_debug("listening on %s (backend %d)", VG_QUEUE_CHANNEL, *backend_pid);
	return c;
}

/* Waits up to the poll interval for a NOTIFY (polling is the truth; NOTIFY only wakes us
 * early), in slices of at most a second so SIGTERM is seen promptly. */
static void idle(struct runner_worker *w, PGconn *c)
{
	long long wait = w->conf->runner_poll_interval_ms;
	long long until;

	/* While the database is down, try less and less often (up to 10 s). */
	if (w->db_down_since_ms) {
		long long down = runner_now_ms() - w->db_down_since_ms;

		wait = down / 4 > wait ? down / 4 : wait;
		wait = wait > DB_DOWN_MAX_WAIT_MS ? DB_DOWN_MAX_WAIT_MS : wait;
	}
	until = runner_now_ms() + wait;

	while (!vg_worker_stop) {
		long long left = until - runner_now_ms();
		struct pollfd p;

		if (c && runner_drain_notifies(c))
			return;
		if (left <= 0)
			return;
		p.fd = c ? PQsocket(c) : -1;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, (int)(left < 1000 ? left : 1000)) > 0 && c && !PQconsumeInput(c)) {
			log_warnx("lost the LISTEN connection: %s", PQerrorMessage(c));
			return; /* the next claim reconnects */
		}
	}
}

/* Worker idx's lane: the CPU workers first, then the remote loops, then the webhook
 * workers (runner_main.c counts them in the same order). */
static enum vg_lane worker_lane(const struct vg_conf *conf, int idx)
{
	if (idx < conf->runner_workers)
		return VG_LANE_CPU;
	if (idx < conf->runner_workers + conf->runner_remote_workers)
		return VG_LANE_REMOTE;
	return VG_LANE_WEBHOOK;
}

int runner_worker_main(const struct vg_conf *conf, const char *name, int gen, int idx)
{
	struct runner_worker w;
	int backend_pid = 0;
	enum vg_lane lane;

	memset(&w, 0, sizeof w);
	vg_super_worker_signals(NULL);
	srand48((long)getpid() ^ (long)time(NULL));
	w.conf = conf;
	snprintf(w.owner, sizeof w.owner, "%s/%d.%d/%ld", name, gen, idx, (long)getpid());
	w.db = vg_db_new(conf->db_conninfo, "veogen-runner", conf->db_statement_timeout_ms);
	w.step_arena = vg_arena_create(16384);
	w.job_arena = vg_arena_create(16384);
	w.tick_arena = vg_arena_create(4096);
	w.batch_arena = vg_arena_create(16384);
	log_info("worker %s started", w.owner);
	vg_metrics_worker_slot(idx);
	lane = worker_lane(conf, idx);
	if (lane == VG_LANE_REMOTE)
		remote_loop(&w);

	if (lane != VG_LANE_REMOTE)
		w.batch = runner_batch_new();
	while (lane != VG_LANE_REMOTE && !vg_worker_stop) {
		PGconn *c = runner_listen(&w, &backend_pid);
		int n;

		if (!c) {
			idle(&w, NULL);
			continue;
		}
		n = runner_batch_run(&w, lane);
		if (n <= 0)
			idle(&w, n == 0 ? vg_db_conn(w.db) : NULL);
	}
	if (w.batch && !runner_batch_flush(&w))
		log_warnx("stopping with completed jobs not recorded: they run again after their "
		          "leases");
	log_info("worker %s stopped", w.owner);
	runner_batch_free(w.batch);
	vg_arena_destroy(w.batch_arena);
	vg_arena_destroy(w.tick_arena);
	vg_arena_destroy(w.job_arena);
	vg_arena_destroy(w.step_arena);
	vg_db_free(w.db);
	return 0;
}
