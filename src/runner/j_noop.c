/* noop: a job kind that does nothing and succeeds, for the queue benchmarks only
 * (tests/bench/queue_drain.sh).  It goes the way every job goes: claimed with a lease by
 * vg_queue_claim, one step ("start"), then completed fenced by the worker (RUNNER_COMPLETE:
 * it has nothing of its own to commit, so its completion is recorded with others of the
 * batch, runner_batch.c), so what the benchmark measures is the queue's own cost per job.
 *
 * It runs only while runner.allow_noop is true.  Otherwise the step refuses with
 * VG_EINVAL, so the worker fails the job for good at once (code noop_disabled): a noop row
 * that reached a production database by mistake ends visibly failed, never "succeeded"
 * without anything having been done. */
#include "config.h"

#include <stdbool.h>

#include "runner.h"
#include "vg_log.h"

int j_noop_step(struct runner_worker *w, struct vg_job *job, struct vg_err *err)
{
	static bool warned; /* once per worker process */

	if (!w->conf->runner_allow_noop)
		return vg_err_set(err, VG_EINVAL, "noop_disabled",
		                  "jobs of kind noop are for benchmarks and run only with "
		                  "runner.allow_noop = true");
	if (!warned) {
		log_warnx("running jobs of kind noop (runner.allow_noop = true): benchmarks only");
		warned = true;
	}
	(void)job;
	return RUNNER_COMPLETE;
}
