/* Batches of the CPU and webhook lanes: how many jobs a worker claims at once, completions
 * recorded many per statement, and claimed jobs handed back unstarted.
 *
 * A worker starts at one job per claim.  While every job of a full claim finishes in under
 * QUICK_MS the next claim asks for twice as many, up to runner.claim_batch; one slower job
 * takes it back to one, so a worker rendering videos claims exactly as before.  A claimed
 * job waits at most HOLD_MS (and half its lease) in the worker: after that, and when the
 * worker stops, the rest of the batch goes back to the queue at once without counting a try.
 *
 * Steps that return RUNNER_COMPLETE have nothing of their own to commit with the
 * completion; their jobs are completed together, fenced job by job, before the next claim,
 * before a job of another kind and at least every FLUSH_MS.  A worker that dies holding
 * such completions leaves the jobs running under their leases: they are rescued and run
 * again, as a job whose worker died mid-step is (at least once, as ever). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "vg_log.h"
#include "vg_str.h"
#include "vg_super.h"

#define QUICK_MS 50
#define HOLD_MS  2000
#define FLUSH_MS 20

struct runner_done {
	char id[40];
	int attempt;
	const struct runner_kind *kind;
};

struct runner_batch {
	struct vg_job *jobs; /* the current claim, in the batch arena */
	int size;            /* how many the next claim asks for */
	struct runner_done *done;
	int ndone;
	long long done_since_ms;
};

struct runner_batch *runner_batch_new(void)
{
	struct runner_batch *b = calloc(1, sizeof *b);

	if (!b)
		vg_oom(sizeof *b);
	b->jobs = calloc(VG_QUEUE_CLAIM_MAX, sizeof *b->jobs);
	b->done = calloc(VG_QUEUE_CLAIM_MAX, sizeof *b->done);
	if (!b->jobs || !b->done)
		vg_oom(VG_QUEUE_CLAIM_MAX * sizeof *b->done);
	b->size = 1;
	return b;
}

void runner_batch_free(struct runner_batch *b)
{
	if (!b)
		return;
	free(b->jobs);
	free(b->done);
	free(b);
}

bool runner_batch_flush(struct runner_worker *w)
{
	struct runner_batch *b = w->batch;
	const struct vg_job *ptrs[VG_QUEUE_CLAIM_MAX];
	struct vg_job jobs[VG_QUEUE_CLAIM_MAX];
	bool lost[VG_QUEUE_CLAIM_MAX];
	struct vg_err err;

	if (b->ndone == 0)
		return true;
	for (int i = 0; i < b->ndone; i++) {
		memset(&jobs[i], 0, sizeof jobs[i]);
		jobs[i].id = b->done[i].id;
		jobs[i].attempt = b->done[i].attempt;
		jobs[i].owner = w->owner;
		ptrs[i] = &jobs[i];
	}
	vg_err_clear(&err);
	if (vg_queue_complete_many(w->db, w->step_arena, ptrs, b->ndone, lost, &err) != VG_OK) {
		/* Kept for the next flush; if the leases run out first, the jobs run again. */
		log_warnx("cannot record %d completed jobs yet: %s", b->ndone, err.msg);
		vg_arena_reset(w->step_arena);
		return false;
	}
	for (int i = 0; i < b->ndone; i++)
		if (lost[i])
			log_warnx(
			    "job %s finished, but it is no longer ours (cancelled, or its lease "
			    "ran out and it was given to another worker)",
			    b->done[i].id);
	log_debug("recorded %d completed jobs in one statement", b->ndone);
	b->ndone = 0;
	vg_arena_reset(w->step_arena);
	return true;
}

void runner_batch_done(struct runner_worker *w, const struct runner_kind *k,
                       const struct vg_job *job)
{
	struct runner_batch *b = w->batch;

	if (b->ndone == VG_QUEUE_CLAIM_MAX)
		runner_batch_flush(w);
	if (b->ndone == VG_QUEUE_CLAIM_MAX) {
		log_warnx("job %s finished, but its completion cannot be recorded now; it will run "
		          "again after its lease",
		          job->id);
		return;
	}
	if (b->ndone == 0)
		b->done_since_ms = runner_now_ms();
	snprintf(b->done[b->ndone].id, sizeof b->done[b->ndone].id, "%s", job->id);
	b->done[b->ndone].attempt = job->attempt;
	b->done[b->ndone].kind = k;
	b->ndone++;
}

/* Before a job starts: completions wait for no job of another kind, nor for long. */
static void flush_before(struct runner_worker *w, const struct vg_job *next)
{
	struct runner_batch *b = w->batch;

	if (b->ndone == 0)
		return;
	if (!vg_str_eq(b->done[b->ndone - 1].kind->kind, next->kind) ||
	    runner_now_ms() - b->done_since_ms >= FLUSH_MS)
		runner_batch_flush(w);
}

static void hand_back_rest(struct runner_worker *w, struct vg_job *jobs, int n, const char *why)
{
	const struct vg_job *ptrs[VG_QUEUE_CLAIM_MAX];
	struct vg_err err;
	int released = 0;

	for (int i = 0; i < n; i++)
		ptrs[i] = &jobs[i];
	vg_err_clear(&err);
	if (vg_queue_release_many(w->db, w->step_arena, ptrs, n, &released, &err) != VG_OK)
		log_warnx("cannot hand %d claimed jobs back (%s); their leases will expire", n,
		          err.msg);
	else
		log_info("handed %d claimed jobs back to the queue unstarted (%s)", released, why);
	vg_arena_reset(w->step_arena);
}

/* The lease bounds the wait too: a job handed back late would already be someone else's. */
static long long hold_ms(const struct runner_worker *w)
{
	long long half_lease = (long long)w->conf->runner_lease_s * 1000 / 2;

	return half_lease < HOLD_MS ? half_lease : HOLD_MS;
}

int runner_batch_run(struct runner_worker *w, enum vg_lane lane)
{
	struct runner_batch *b = w->batch;
	int max = vg_queue_claim_limit(w->conf->runner_claim_batch), want, n = 0;
	long long claimed_ms, t0;
	bool quick = true;
	struct vg_err err;

	if (!runner_batch_flush(w))
		return -1;
	want = b->size < max ? b->size : max;
	vg_err_clear(&err);
	if (vg_queue_claim(w->db, w->batch_arena, w->owner, w->conf->runner_lease_s, lane, want,
	                   b->jobs, &n, &err) != VG_OK) {
		log_warnx("cannot claim jobs: %s", err.msg);
		vg_arena_reset(w->batch_arena);
		return -1;
	}
	claimed_ms = t0 = runner_now_ms();
	for (int i = 0; i < n; i++) {
		long long start = runner_now_ms();

		if (vg_worker_stop || start - claimed_ms >= hold_ms(w)) {
			hand_back_rest(w, &b->jobs[i], n - i,
			               vg_worker_stop ? "stopping" : "they waited too long");
			quick = false;
			break;
		}
		flush_before(w, &b->jobs[i]);
		runner_run_job(w, &b->jobs[i], n > 1);
		vg_arena_reset(w->job_arena);
		if (runner_now_ms() - start >= QUICK_MS)
			quick = false;
	}
	if (n > 1)
		log_info("ran a batch of %d claimed jobs in %lld ms", n, runner_now_ms() - t0);
	if (!quick)
		b->size = 1;
	else if (n == want && want < max)
		b->size = want * 2;
	vg_arena_reset(w->batch_arena);
	return n;
}
