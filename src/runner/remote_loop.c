/* The remote loop: one process holding up to runner.max_in_flight provider operations at
 * once, every HTTP exchange on libcurl's multi interface, no thread or process per
 * operation.  It claims remote.* jobs in batches, extends all their leases with one
 * statement per heartbeat, writes the progress estimates that moved with one more, and
 * hands everything back to the queue when it stops.  One operation's life is in
 * remote_op.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "vg_buf.h"
#include "vg_log.h"
#include "vg_metrics.h"
#include "vg_str.h"
#include "vg_super.h"

#define CLAIM_BATCH    128 /* a power of two: vg_queue_claim_limit */
#define STATS_EVERY_MS 10000
/* Exchanges started at once per allowed connection: enough to keep every connection busy
 * (one waits while another is answered), few enough to bound memory. */
#define EXCHANGES_PER_CONNECTION 4

static struct remote_provider *provider_of(struct remote_loop *rl, const char *name)
{
	if (vg_str_eq(name, "gemini"))
		return &rl->gemini;
	if (vg_str_eq(name, "vertex"))
		return &rl->vertex;
	return NULL;
}

/* A claimed job becomes an op (or fails at once when it cannot be one). */
static void adopt(struct remote_loop *rl, const struct vg_job *j)
{
	struct runner_worker *w = rl->w;
	struct op *o = calloc(1, sizeof *o);
	const char *vid = json_string_value(json_object_get(j->payload, "video_id"));
	PGresult *r;
	struct vg_err err;

	if (!o)
		vg_oom(sizeof *o);
	o->rl = rl;
	o->job = *j;
	snprintf(o->id, sizeof o->id, "%s", j->id);
	snprintf(o->kind, sizeof o->kind, "%s", j->kind);
	o->job.id = o->id;
	o->job.kind = o->kind;
	o->job.owner = w->owner;
	json_incref(o->job.payload);
	o->job.state_data = json_deep_copy(j->state_data ? j->state_data : json_object());
	if (!json_is_object(o->job.state_data)) {
		json_decref(o->job.state_data);
		o->job.state_data = json_object();
	}
	snprintf(o->video_id, sizeof o->video_id, "%s", vid ? vid : "");
	op_set_step(o, vg_str_eq(j->step, "remote.poll")       ? OP_POLL
	               : vg_str_eq(j->step, "remote.download") ? OP_DOWNLOAD
	                                                       : OP_SUBMIT);
	o->prov = &rl->gemini; /* for messages until the row says which */
	if (rl->n == rl->cap) {
		rl->cap = rl->cap ? rl->cap * 2 : 256;
		rl->ops = realloc(rl->ops, (size_t)rl->cap * sizeof *rl->ops);
		if (!rl->ops)
			vg_oom(0);
	}
	rl->ops[rl->n++] = o;
	vg_err_clear(&err);
	if (!vid || !vg_str_is_uuid(vid)) {
		op_fail(o, VG_EINVAL, "bad_payload", "the job's payload has no valid video_id");
		return;
	}
	r = vg_db_q(w->db, w->step_arena, &err,
	            "SELECT provider, model, progress FROM videos WHERE id = $1 AND job_id = "
	            "$2::uuid AND status = 'running'",
	            o->video_id, o->id);
	if (!r) {
		vg_arena_reset(w->step_arena);
		op_db_error(o, &err);
		return;
	}
	if (PQntuples(r) != 1) {
		vg_arena_reset(w->step_arena);
		op_fail(o, VG_EINVAL, "unexpected_status",
		        "video %s is not running under this job any more", o->video_id);
		return;
	}
	o->prov = provider_of(rl, vg_db_get(r, 0, "provider"));
	o->model = vg_xstrdup(vg_db_get(r, 0, "model"));
	o->progress = o->progress_saved = (int)vg_db_get_ll(r, 0, "progress", 0);
	vg_arena_reset(w->step_arena);
	if (!o->prov) {
		o->prov = &rl->gemini;
		op_fail(o, VG_EINVAL, "provider_unavailable",
		        "the remote loop does not drive the provider of video %s", o->video_id);
		return;
	}
	if (o->st == OP_DOWNLOAD)
		o->tmp_path = NULL; /* a fresh temp file: an earlier one may be half written */
	o->due_ms = runner_now_ms();
}

static void claim(struct remote_loop *rl)
{
	struct runner_worker *w = rl->w;
	int room = rl->c->runner_max_in_flight - rl->n, n = 0;
	int want = room < CLAIM_BATCH ? room : CLAIM_BATCH;
	struct vg_job jobs[CLAIM_BATCH];
	struct vg_err err;

	rl->more_waiting = false;
	if (room <= 0)
		return;
	vg_err_clear(&err);
	if (vg_queue_claim(w->db, w->job_arena, w->owner, rl->c->runner_lease_s, VG_LANE_REMOTE,
	                   want, jobs, &n, &err) != VG_OK) {
		log_warnx("cannot claim jobs: %s", err.msg);
		vg_arena_reset(w->job_arena);
		return;
	}
	for (int i = 0; i < n; i++)
		adopt(rl, &jobs[i]);
	vg_arena_reset(w->job_arena);
	rl->more_waiting = n > 0 && n == vg_queue_claim_limit(want);
}

/* One statement extends every lease; one more writes the progress estimates that moved. */
static void heartbeat(struct remote_loop *rl)
{
	struct runner_worker *w = rl->w;
	const struct vg_job **jobs;
	bool *lost;
	struct vg_buf ids, pcts;
	int n = 0;
	struct vg_err err;

	if (rl->n == 0)
		return;
	jobs = calloc((size_t)rl->n, sizeof *jobs);
	lost = calloc((size_t)rl->n, sizeof *lost);
	if (!jobs || !lost)
		vg_oom(0);
	for (int i = 0; i < rl->n; i++)
		if (!rl->ops[i]->dead)
			jobs[n++] = &rl->ops[i]->job;
	vg_err_clear(&err);
	if (vg_queue_heartbeat_many(w->db, w->step_arena, jobs, n, rl->c->runner_lease_s, lost,
	                            &err) != VG_OK)
		log_warnx("heartbeat of %d jobs failed: %s", n, err.msg);
	else
		for (int i = 0, k = 0; i < rl->n; i++) {
			struct op *o = rl->ops[i];

			if (o->dead)
				continue;
			if (lost[k++]) {
				vg_err_clear(&err);
				/* one by one: says whether it was cancelled or taken over */
				if (vg_queue_heartbeat(w->db, w->step_arena, &o->job,
				                       rl->c->runner_lease_s,
				                       &err) == VG_ECANCELLED)
					op_lost(o, &err);
			}
		}
	vg_arena_reset(w->step_arena);
	free(jobs);
	free(lost);

	vg_buf_init(&ids, (size_t)rl->n * 40 + 2);
	vg_buf_init(&pcts, (size_t)rl->n * 5 + 2);
	n = 0;
	for (int i = 0; i < rl->n; i++) {
		struct op *o = rl->ops[i];

		if (o->dead || o->progress <= o->progress_saved)
			continue;
		vg_buf_printf(&ids, "%s%s", n ? "," : "{", o->video_id);
		vg_buf_printf(&pcts, "%s%d", n ? "," : "{", o->progress);
		o->progress_saved = o->progress;
		n++;
	}
	if (n > 0) {
		vg_buf_puts(&ids, "}");
		vg_buf_puts(&pcts, "}");
		vg_err_clear(&err);
		if (!vg_db_q(w->db, w->step_arena, &err,
		             "UPDATE videos v SET progress = u.p FROM unnest($1::uuid[], "
		             "$2::int[]) AS u(id, p) WHERE v.id = u.id AND v.status = 'running' "
		             "AND v.progress < u.p",
		             vg_buf_str(&ids), vg_buf_str(&pcts)))
			log_warnx("cannot record progress: %s", err.msg);
		vg_arena_reset(w->step_arena);
	}
	vg_buf_free(&ids);
	vg_buf_free(&pcts);
}

static void sweep(struct remote_loop *rl)
{
	int k = 0;

	for (int i = 0; i < rl->n; i++) {
		struct op *o = rl->ops[i];

		if (o->dead && !o->busy)
			op_free(o);
		else
			rl->ops[k++] = o;
	}
	rl->n = k;
}

/* We are stopping: every op goes back to the queue at its committed step, at once and
 * without counting a try (a submit in flight was waited for, see remote_loop). */
static void hand_back_all(struct remote_loop *rl)
{
	struct runner_worker *w = rl->w;
	int n = 0;

	for (int i = 0; i < rl->n; i++) {
		struct op *o = rl->ops[i];
		struct vg_err err;

		if (o->dead || o->busy)
			continue;
		vg_err_clear(&err);
		op_remove_tmp(o);
		if (vg_queue_defer(w->db, w->step_arena, &o->job, o->step, 0, &err) == VG_OK)
			n++;
		else
			log_warnx("cannot hand %s back (%s); its lease will expire", o->id,
			          err.msg);
		vg_arena_reset(w->step_arena);
		o->dead = true;
	}
	log_info("stopping: %d operations handed back to the queue", n);
}

static long long next_due(const struct remote_loop *rl, long long now)
{
	long long t = now + 1000;

	for (int i = 0; i < rl->n; i++) {
		const struct op *o = rl->ops[i];

		if (!o->dead && !o->busy && o->due_ms < t)
			t = o->due_ms;
	}
	if (rl->next_beat_ms < t)
		t = rl->next_beat_ms;
	return t;
}

static void stats(struct remote_loop *rl, long long now)
{
	long long polls = rl->polls - rl->polls_at_last_stats;

	log_info("remote: %d in flight (%d HTTP), %lld submits, %lld polls (%.1f/s), %lld "
	         "downloads, submit to first poll %.0f ms on average (max %lld ms, schedule %d s)",
	         rl->n, vg_http_in_flight(rl->http), rl->submits, rl->polls,
	         polls * 1000.0 / STATS_EVERY_MS, rl->downloads,
	         rl->first_polls ? (double)rl->first_poll_sum_ms / rl->first_polls : 0.0,
	         rl->first_poll_max_ms, rl->c->providers_poll_interval_s);
	rl->polls_at_last_stats = rl->polls;
	rl->next_stats_ms = now + STATS_EVERY_MS;
}

void remote_loop(struct runner_worker *w)
{
	struct remote_loop rl;
	int backend_pid = 0;

	memset(&rl, 0, sizeof rl);
	rl.w = w;
	rl.c = w->conf;
	rl.kind = runner_kind_find("video.generate");
	rl.http = vg_http_new(rl.c->providers_max_connections);
	rl.max_exchanges = rl.c->providers_max_connections * EXCHANGES_PER_CONNECTION;
	remote_providers_init(rl.c, &rl.gemini, &rl.vertex);
	log_info("remote loop: up to %d operations, polling every %d s", rl.c->runner_max_in_flight,
	         rl.c->providers_poll_interval_s);

	while (!vg_worker_stop || vg_http_in_flight(rl.http) > 0) {
		PGconn *c = runner_listen(w, &backend_pid);
		long long now = runner_now_ms();
		bool stopping = vg_worker_stop != 0;

		if (stopping && runner_should_abandon(w))
			break;
		if (c && !stopping && (now >= rl.next_claim_ms || rl.more_waiting)) {
			claim(&rl);
			rl.next_claim_ms = now + rl.c->runner_poll_interval_ms;
		}
		bool capped = false;
		for (int i = 0; i < rl.n && !stopping; i++) {
			struct op *o = rl.ops[i];

			if (o->dead || o->busy || o->due_ms > now)
				continue;
			/* libcurl would queue the rest itself, but every waiting transfer holds
			 * its buffers: those due wait here, at a few hundred bytes each */
			if (vg_http_in_flight(rl.http) >= rl.max_exchanges) {
				capped = true;
				break;
			}
			op_start(o);
		}
		if (c && now >= rl.next_beat_ms) {
			heartbeat(&rl);
			rl.next_beat_ms = now + (long long)rl.c->runner_heartbeat_s * 1000;
		}
		if (now >= rl.next_stats_ms)
			stats(&rl, now);
		sweep(&rl);

		/* capped: the next exchange to end frees a place (vg_http_run returns then) */
		long long wait = capped ? rl.next_beat_ms - runner_now_ms()
		                        : next_due(&rl, runner_now_ms()) - runner_now_ms();
		vg_http_run(rl.http, c ? PQsocket(c) : -1, (int)(wait < 0 ? 0 : wait));
		if (c && PQconsumeInput(c) && runner_drain_notifies(c))
			rl.next_claim_ms = 0; /* new work: claim at once */
		sweep(&rl);
		vg_metrics_inflight_set("remote", rl.n);
	}
	stats(&rl, runner_now_ms());
	hand_back_all(&rl);
	sweep(&rl);
	vg_http_free(rl.http);
	for (int i = 0; i < rl.n; i++)
		op_free(rl.ops[i]);
	free(rl.ops);
	remote_providers_free(&rl.gemini, &rl.vertex);
}
