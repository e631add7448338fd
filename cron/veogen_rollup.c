/* veogen-rollup: recomputes the hour and day rows of usage_rollups (videos created, their
 * outcome, seconds and cost, per user, provider and model) for every period that can have
 * changed since the previous run, in one transaction.  Read by GET /api/v1/admin/usage. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cron_common.h"
#include "vg_retention.h"

#define PROG "veogen-rollup"

static const char usage[] =
    "Usage: " PROG " [-c CONF] [-n] [-v] [--since TIME]\n"
    "\n"
    "Recomputes the hourly and daily usage rollups (videos created, succeeded, failed,\n"
    "cancelled, seconds of video and cost, per user, provider and model) from the videos\n"
    "table, for every period since the previous run or the last 48 hours, whichever is\n"
    "longer; the first run covers all history.  One transaction: readers see the old rows\n"
    "or the new ones, never a mix.  Running it twice gives the same rows.\n"
    "\n"
    "Options:\n"
    "  -c, --config CONF   configuration file (default: $VEOGEN_CONF, else\n"
    "                      " VG_SYSCONFDIR "/veogen.conf)\n"
    "  -n, --dry-run       compute and report, then roll back: change nothing (implies -v)\n"
    "  -v, --verbose       say what was done on standard output\n"
    "      --since TIME    recompute from TIME instead (RFC 3339 or YYYY-MM-DD, UTC):\n"
    "                      backfill after a restore or a long stop\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 on success, 64 (EX_USAGE) for a wrong command line, 69\n"
    "(EX_UNAVAILABLE) when PostgreSQL cannot be reached, 75 (EX_TEMPFAIL) when another\n"
    "run holds the lock, 78 (EX_CONFIG) for a configuration that does not load, 70\n"
    "(EX_SOFTWARE) otherwise.\n";

static char since_buf[32];
static const char *since_arg; /* --since as epoch seconds, NULL when not given */

/* Where this run starts, and the row counts it wrote.  $1 = --since epoch or NULL. */
static const char window_sql[] =
    "SELECT vg_rfc3339(w.since) AS since, extract(epoch FROM w.since)::bigint AS since_epoch "
    "FROM (SELECT date_trunc('day', CASE WHEN $1::bigint IS NOT NULL THEN to_timestamp($1) "
    "WHEN s.ran_at IS NULL THEN coalesce((SELECT min(created_at) FROM videos), now()) ELSE "
    "least(s.ran_at - interval '1 hour', now() - interval '48 hours') END, 'UTC') AS since "
    "FROM (SELECT (SELECT ran_at FROM usage_rollup_state) AS ran_at) s) w";

/* One period's rows from $1 (a day boundary, so day and hour rows cover the same span):
 * the old rows go first, in a statement of their own (one statement cannot delete and
 * insert the same key). */
#define DELETE_SQL(period)                                                                         \
	"WITH gone AS (DELETE FROM usage_rollups WHERE period = '" period "' AND period_start >= " \
	"to_timestamp($1) RETURNING 1) SELECT count(*) AS gone FROM gone"
#define INSERT_SQL(period)                                                                         \
	"WITH fresh AS (INSERT INTO usage_rollups (period, period_start, user_id, provider, "      \
	"model, videos, succeeded, failed, cancelled, video_seconds, cost_usd, updated_at) "       \
	"SELECT '" period "', date_trunc('" period "', v.created_at, 'UTC'), v.user_id, "          \
	"v.provider, v.model, count(*), count(*) FILTER (WHERE v.status = 'succeeded'), "          \
	"count(*) FILTER (WHERE v.status = 'failed'), count(*) FILTER (WHERE v.status = "          \
	"'cancelled'), coalesce(sum(v.duration_seconds) FILTER (WHERE v.status = 'succeeded'), "   \
	"0), coalesce(sum(v.spent_cost_usd), 0), now() FROM videos v WHERE v.created_at >= "       \
	"to_timestamp($1) GROUP BY 2, 3, 4, 5 RETURNING videos) "                                  \
	"SELECT count(*) AS rows, coalesce(sum(videos), 0) AS videos FROM fresh"

static int rollup_option(struct cron *c, int opt, const char *arg)
{
	long long t;

	if (opt != 'S')
		return EX_USAGE;
	if (!vg_retention_parse_time(arg, &t))
		return cron_usage_error(c,
		                        "--since \"%s\" is not a time: give RFC 3339 "
		                        "(2026-11-24T10:00:00Z) or a date (2026-11-24)",
		                        arg);
	snprintf(since_buf, sizeof since_buf, "%lld", t);
	since_arg = since_buf;
	return EX_OK;
}

static int rollup_in_txn(struct cron *c, struct vg_err *err)
{
	PGresult *w, *hour, *day, *hour_gone, *day_gone;

	/* one run at a time across hosts too: the flock only covers this one */
	if (!vg_db_q0(c->db, c->a, err,
	              "SELECT pg_advisory_xact_lock(hashtext('veogen-rollup'))") ||
	    !(w = vg_db_q(c->db, c->a, err, window_sql, since_arg)))
		return err->rc;
	const char *from = vg_db_get(w, 0, "since_epoch");
	if (!(hour_gone = vg_db_q(c->db, c->a, err, DELETE_SQL("hour"), from)) ||
	    !(hour = vg_db_q(c->db, c->a, err, INSERT_SQL("hour"), from)) ||
	    !(day_gone = vg_db_q(c->db, c->a, err, DELETE_SQL("day"), from)) ||
	    !(day = vg_db_q(c->db, c->a, err, INSERT_SQL("day"), from)) ||
	    !vg_db_q0(c->db, c->a, err,
	              "INSERT INTO usage_rollup_state (ran_at) VALUES (now()) ON CONFLICT "
	              "(singleton) DO UPDATE SET ran_at = excluded.ran_at"))
		return err->rc;
	cron_say(c,
	         "%s usage from %s: %s hour rows, %s day rows (%s videos; %s + %s old rows "
	         "replaced)",
	         c->dry_run ? "would recompute" : "recomputed", vg_db_get(w, 0, "since"),
	         vg_db_get(hour, 0, "rows"), vg_db_get(day, 0, "rows"), vg_db_get(day, 0, "videos"),
	         vg_db_get(hour_gone, 0, "gone"), vg_db_get(day_gone, 0, "gone"));
	return VG_OK;
}

static int rollup_run(struct cron *c)
{
	struct vg_err err;

	vg_err_clear(&err);
	if (vg_db_begin(c->db, c->a, &err) != VG_OK)
		return cron_db_error(c, "cannot start the rollup", &err);
	if (rollup_in_txn(c, &err) != VG_OK) {
		vg_db_rollback(c->db);
		return cron_db_error(c, "rollup failed", &err);
	}
	if (c->dry_run) {
		vg_db_rollback(c->db);
		return EX_OK;
	}
	if (vg_db_commit(c->db, c->a, &err) != VG_OK)
		return cron_db_error(c, "cannot commit the rollup", &err);
	return EX_OK;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {{"since", required_argument, NULL, 'S'},
	                                        {NULL, 0, NULL, 0}};
	static const struct cron_prog prog = {PROG, usage, options, rollup_option, rollup_run};

	return cron_main(argc, argv, &prog);
}
