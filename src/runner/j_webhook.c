/* webhook: payload {"event_id": "..."}; one step, "start" (the webhook lane,
 * runner.webhook_workers), run once per attempt.
 * The SQL triggers of 0005_trust.sql queue the job with its event.  The step renders the
 * body at the first attempt and stores it (every retry sends the same bytes), signs it,
 * POSTs it (vg_webhook_post), logs the attempt, and then either finishes the event
 * (delivered; failed on a 410 or when the next try would fall outside
 * webhooks.retry_window_s) and completes the job, or defers the job to the next try with
 * the same step.  Both happen in one transaction with the attempt row. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_str.h"
#include "vg_webhook.h"

/* The guard of every event update: $1 event id, $2 attempts when loaded. */
#define EVENT_OURS "id = $1 AND state = 'pending' AND attempts = $2::int"

struct event {
	const char *id, *user_id, *target_type, *target_id, *type, *url, *snapshot, *body;
	const char *created_at, *state, *attempts_text;
	int attempts;
	long long age_ms; /* since the event happened */
};

static int load_event(struct runner_worker *w, struct vg_arena *a, const char *id, struct event *ev,
                      bool *found, struct vg_err *err)
{
	PGresult *r = vg_db_q(w->db, a, err,
	                      "SELECT user_id, target_type, target_id, type, url, snapshot::text "
	                      "AS snapshot, body, state, attempts, vg_rfc3339(created_at) AS "
	                      "created_at, (extract(epoch FROM now() - created_at) * 1000)::int8 "
	                      "AS age_ms FROM webhook_events WHERE id = $1",
	                      id);

	memset(ev, 0, sizeof *ev);
	*found = false;
	if (!r)
		return err->rc;
	if (PQntuples(r) != 1)
		return VG_OK;
	*found = true;
	ev->id = id;
	ev->user_id = vg_db_get(r, 0, "user_id");
	ev->target_type = vg_db_get(r, 0, "target_type");
	ev->target_id = vg_db_get(r, 0, "target_id");
	ev->type = vg_db_get(r, 0, "type");
	ev->url = vg_db_get(r, 0, "url");
	ev->snapshot = vg_db_get(r, 0, "snapshot");
	ev->body = vg_db_get(r, 0, "body");
	ev->state = vg_db_get(r, 0, "state");
	ev->created_at = vg_db_get(r, 0, "created_at");
	ev->attempts_text = vg_db_get(r, 0, "attempts");
	ev->attempts = (int)vg_db_get_ll(r, 0, "attempts", 0);
	ev->age_ms = vg_db_get_ll(r, 0, "age_ms", 0);
	return VG_OK;
}

/* Nothing (more) to deliver: the job is done. */
static int finish_job(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	int rc = vg_db_begin(w->db, w->step_arena, err);

	rc = runner_complete_txn(w, w->step_arena, job, rc, err);
	return rc == VG_OK ? RUNNER_DONE : rc;
}

/* The event fails without an attempt (its target is gone) and the job completes. */
static int fail_unsent(struct runner_worker *w, struct vg_job *job, const struct event *ev,
                       const char *why, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	int rc = vg_db_begin(w->db, a, err);

	if (rc == VG_OK && !vg_db_q(w->db, a, err,
	                            "UPDATE webhook_events SET state = 'failed', last_error = $3, "
	                            "next_attempt_at = NULL WHERE " EVENT_OURS,
	                            ev->id, ev->attempts_text, why))
		rc = err->rc;
	rc = runner_complete_txn(w, a, job, rc, err);
	if (rc == VG_OK) {
		vg_metrics_webhook("failed");
		log_warnx("webhook %s of %s %s not delivered: %s", ev->type, ev->target_type,
		          ev->target_id, why);
	}
	return rc == VG_OK ? RUNNER_DONE : rc;
}

/* The body stored at the first attempt; rendered now when there is none yet. */
static int ensure_body(struct runner_worker *w, struct vg_job *job, struct event *ev, bool *gone,
                       struct vg_err *err)
{
	char *body;
	int rc;

	*gone = false;
	if (ev->body)
		return VG_OK;
	rc = vg_webhook_render(w->conf, w->db, w->step_arena, ev->target_type, ev->target_id,
	                       ev->type, ev->created_at, ev->snapshot, &body, err);
	if (rc == VG_ENOTFOUND) {
		const char *why = vg_arena_strdup(w->step_arena, err->msg);

		*gone = true;
		vg_err_clear(err);
		return fail_unsent(w, job, ev, why, err);
	}
	if (rc != VG_OK)
		return rc;
	if (!vg_db_q(w->db, w->step_arena, err,
	             "UPDATE webhook_events SET body = $3 WHERE " EVENT_OURS " AND body IS NULL",
	             ev->id, ev->attempts_text, body))
		return err->rc;
	ev->body = body;
	return VG_OK;
}

/* What the attempt means for the event: "delivered", "failed" (410, or the window is
 * over) or "retry" after *delay_ms; *why completes last_error when it fails for good. */
static const char *outcome(const struct runner_worker *w, const struct event *ev,
                           const struct vg_webhook_result *res, long *delay_ms, const char **why)
{
	const struct vg_conf *c = w->conf;
	int done = ev->attempts + 1;

	*delay_ms = 0;
	*why = NULL;
	if (res->status >= 200 && res->status < 300 && !res->error[0])
		return "delivered";
	if (res->status == 410) {
		*why = "the receiver answered 410 Gone: no more tries";
		return "failed";
	}
	*delay_ms = vg_webhook_retry_delay_ms(done, c->webhooks_retry_base_ms,
	                                      c->webhooks_retry_max_ms, drand48());
	if (ev->age_ms + *delay_ms > (long long)c->webhooks_retry_window_s * 1000) {
		*why = vg_arena_printf(w->step_arena,
		                       "%s; gave up after %d attempts: the next would come later "
		                       "than %d s after the event (webhooks.retry_window_s)",
		                       res->error, done, c->webhooks_retry_window_s);
		return "failed";
	}
	return "retry";
}

/* Logs the attempt and moves the event and the job on, in one transaction. */
static int record(struct runner_worker *w, struct vg_job *job, const struct event *ev,
                  const struct vg_webhook_result *res, struct vg_err *err)
{
	struct vg_arena *a = w->step_arena;
	char attempt[16], dur[24], status[24], delay[24];
	const char *why, *result = NULL;
	long delay_ms;
	const char *what = outcome(w, ev, res, &delay_ms, &why);
	bool retry = vg_str_eq(what, "retry");
	int rc;

	snprintf(attempt, sizeof attempt, "%d", ev->attempts + 1);
	snprintf(dur, sizeof dur, "%ld", res->duration_ms);
	snprintf(status, sizeof status, "%ld", res->status);
	snprintf(delay, sizeof delay, "%ld", delay_ms);
	rc = vg_db_begin(w->db, a, err);
	if (rc == VG_OK &&
	    !vg_db_q(w->db, a, err,
	             "WITH e AS (UPDATE webhook_events SET attempts = $3::int, "
	             "last_status = nullif($4::int, 0), last_error = coalesce($6, nullif($5, '')), "
	             "state = CASE $7 WHEN 'retry' THEN 'pending' ELSE $7 END, "
	             "delivered_at = CASE $7 WHEN 'delivered' THEN now() END, "
	             "next_attempt_at = CASE $7 WHEN 'retry' THEN now() + make_interval(secs => "
	             "$8::float8 / 1000) END WHERE " EVENT_OURS " RETURNING id) "
	             "INSERT INTO webhook_attempts (event_id, attempt, duration_ms, address, "
	             "status, error) SELECT id, $3::int, $9::int, nullif($10, ''), "
	             "nullif($4::int, 0), nullif($5, '') FROM e RETURNING attempt",
	             ev->id, ev->attempts_text, attempt, status, res->error, why, what, delay, dur,
	             res->address))
		rc = err->rc;
	if (rc == VG_OK && retry)
		rc = vg_queue_defer(w->db, a, job, "start", delay_ms, err);
	if (rc == VG_OK && retry)
		rc = vg_db_commit(w->db, a, err);
	else
		rc = runner_complete_txn(w, a, job, rc, err);
	if (rc != VG_OK) {
		vg_db_rollback(w->db);
		return rc;
	}
	result = res->refused ? "refused" : what;
	vg_metrics_webhook(result);
	if (retry)
		log_info("webhook %s of %s %s: attempt %s failed (%s); next in %ld ms", ev->type,
		         ev->target_type, ev->target_id, attempt, res->error, delay_ms);
	else if (why)
		log_warnx("webhook %s of %s %s failed for good: %s", ev->type, ev->target_type,
		          ev->target_id, why);
	else
		log_info("webhook %s of %s %s delivered (attempt %s, %ld ms)", ev->type,
		         ev->target_type, ev->target_id, attempt, res->duration_ms);
	return RUNNER_DONE;
}

int j_webhook_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	const struct vg_conf *c = w->conf;
	struct vg_arena *a = w->step_arena;
	const char *id = runner_payload_id(job, "event_id", err), *secret, *previous;
	struct vg_webhook_result res;
	struct event ev;
	bool found, gone;
	long long ts;
	char *msg_id, *sig;
	int rc;

	if (!id)
		return err->rc;
	if ((rc = load_event(w, a, id, &ev, &found, err)) != VG_OK)
		return rc;
	if (!found || !vg_str_eq(ev.state, "pending"))
		return finish_job(w, job, err); /* deleted with its user, or already finished */
	if ((rc = ensure_body(w, job, &ev, &gone, err)) != VG_OK || gone)
		return rc;
	if ((rc = vg_webhook_secrets_for_signing(w->db, a, ev.user_id, &secret, &previous, err)) !=
	    VG_OK)
		return rc;
	/* The POST blocks for up to webhooks.timeout_s with no heartbeat: hold the lease that
	 * long once, up front. */
	if ((rc = vg_queue_heartbeat(w->db, a, job, c->webhooks_timeout_s + c->runner_lease_s,
	                             err)) != VG_OK)
		return rc;
	msg_id = vg_arena_printf(a, "msg_%s", ev.id);
	ts = (long long)time(NULL);
	sig = vg_webhook_sign(a, msg_id, ts, ev.body, strlen(ev.body), secret, previous);
	if (!sig)
		return vg_err_set(err, VG_EINVAL, "bad_secret",
		                  "the webhook secret of user %s is malformed: rotate it (POST "
		                  "/api/v1/me/webhook-secret/rotate)",
		                  ev.user_id);
	if ((rc = vg_webhook_post(c, ev.url, msg_id, ts, sig, ev.body, strlen(ev.body), &res,
	                          err)) != VG_OK)
		return rc;
	return record(w, job, &ev, &res, err);
}

/* The job failed for good (its tries ran out on errors of ours, not the receiver's): the
 * event fails with it. */
int j_webhook_failed(struct runner_worker *w, struct vg_job *job, const struct vg_err *why,
                     struct vg_err *err)
{
	if (!vg_db_q(w->db, w->step_arena, err,
	             "UPDATE webhook_events SET state = 'failed', next_attempt_at = NULL, "
	             "last_error = 'delivery stopped: ' || $2 WHERE job_id = $1 AND state = "
	             "'pending'",
	             job->id, why->msg))
		return err->rc;
	vg_metrics_webhook("failed");
	return VG_OK;
}

int j_webhook_cancelled(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	if (!vg_db_q(w->db, w->step_arena, err,
	             "UPDATE webhook_events SET state = 'failed', next_attempt_at = NULL, "
	             "last_error = 'delivery stopped: its job was cancelled' WHERE job_id = $1 "
	             "AND state = 'pending'",
	             job->id))
		return err->rc;
	return VG_OK;
}

int j_webhook_reconcile(const struct vg_conf *conf, struct vg_db *db, struct vg_arena *a,
                        struct vg_err *err)
{
	PGresult *r;

	(void)conf;
	/* Jobs that ended without their worker (cancelled while queued, rescue gave up, or
	 * deleted): their events must not stay pending. */
	r = vg_db_q0(db, a, err,
	             "UPDATE webhook_events e SET state = 'failed', next_attempt_at = NULL, "
	             "last_error = 'delivery stopped: ' || coalesce(CASE j.state WHEN "
	             "'cancelled' THEN 'its job was cancelled' ELSE j.last_error->>'message' "
	             "END, 'its job ended') FROM webhook_events p LEFT JOIN jobs j ON j.id = "
	             "p.job_id WHERE p.state = 'pending' AND e.id = p.id AND (j.id IS NULL OR "
	             "j.state IN ('failed', 'cancelled', 'succeeded')) RETURNING e.id");
	if (!r)
		return err->rc;
	if (PQntuples(r) > 0)
		log_info("reconcile: %d webhook events whose job had ended were closed",
		         PQntuples(r));
	return VG_OK;
}
