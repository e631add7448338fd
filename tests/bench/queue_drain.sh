#!/usr/bin/env bash
# queue_drain.sh [--jobs N] [--runs R] [--smoke] [--profile] [--variants]: how fast veogen-runner drains N no-op jobs,
# as a ratio to references measured in the same invocation on the same private PostgreSQL
# cluster (README.md in this directory: "queue_drain.sh").
#
#   veogen      veogen-runner, the shipped configuration (etc/veogen.conf defaults) plus
#               runner.allow_noop = true, drains N jobs of kind noop inserted by ONE
#               statement; first claim to last completion from the rows' own timestamps;
#               every row must be succeeded after exactly one claim (attempt = 1).
#   gw-tuned    graphile-worker 0.17.3, concurrency 24 + localQueue 500 + batched
#               completion, one process (gw_drain.js c24lq)
#   gw-c24      graphile-worker 0.17.3, concurrency 24, one process (gw_drain.js c24)
#   ceil-b100   the raw SKIP LOCKED ceiling: pgbench, 8 clients, 100 jobs per claim and per
#               completion (queue_ceiling_b100.sql, sql_ceiling.sh's shape)
#   ceil-b1     the same, one job per claim and per completion (queue_ceiling_b1.sql)
#
# N = 200000 and three runs per cell (the median is reported) unless told otherwise.
# --smoke: N = 2000, one run, veogen and the two ceilings only; exits 1 when any job is
# not done (contrib/devstack test runs it as "bench smoke").  Every mode exits 1 when a
# cell's check fails (a job not done, run twice, or left behind).
# --profile: where each cell's time goes (README.md: "Where the drain time goes").  N = 20000
# and one run unless told otherwise; the cluster also loads pg_stat_statements (track =
# all, track_planning, track_wal_io_timing), and around each drain the script prints per
# job: statements and round trips, commits, WAL, tuples, the tables' and indexes' counters
# and the top statements.  With BENCH_PERF=1 it also runs `perf record -g` on the runner
# and the cluster (its processes only, not the rest of the host) during the veogen drain and
# prints the CPU split by process and library, then each one's functions.  The profiling
# costs some speed: a profile run's jobs/s is not a headline figure.
# --variants: more cells, each veogen's one-job-at-a-time queue statements (src/vg_queue.c before
# the batch runner of c72f94f) run by pgbench (one client per CPU worker of the runner) as
# they were (v-today) and with one change each: the claim's LIMIT
# written out (v-lim1), the fenced completion found by the primary key (v-pkey), the admin
# index jobs_state_kind_created dropped (v-noadmin), the completion's transaction pipelined
# (v-pipe), the claim's commit asynchronous (v-async), complete and claim the next in one
# statement (v-next; v-best1 with lim1, pkey and noadmin too), 100 jobs per claim and per
# fenced completion (v-b100).  What each would gain, measured before anyone writes it in C.
#
# Environment: VEOGEN_BUILD (veogen-runner, veogenctl; default .devstack/build),
# BENCH_PGPORT (the cluster's loopback port; default VEOGEN_PORT+40, VEOGEN_PORT 8080),
# BENCH_CACHE (node_modules of the graphile cells; default ~/.cache/veogen-bench),
# BENCH_CLIENTS (pgbench clients, 8), BENCH_PG_USER (the cluster's OS user when run as
# root: veogen-dev, else postgres; initdb refuses root), BENCH_KEEP=1 (keep the work
# directory with the logs), PGBIN (/usr/lib/postgresql/15/bin), BENCH_PERF=1 (with
# --profile: perf on the veogen drain), BENCH_PERF_FREQ (perf's sampling rate, 999),
# BENCH_CELLS (some of the cells only, e.g. "veogen ceil-b1"), BENCH_VEOGEN_SQL (SQL run on
# the veogen cell's database after the migrations, before the jobs are queued: to measure
# what a schema or setting change would gain, e.g. "DROP INDEX jobs_state_kind_created"),
# BENCH_RUNNER_SET (lines added to the runner section of the bench's veogen.conf, e.g.
# "claim_batch = 1;" for the one-at-a-time runner).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

die() {
	printf 'queue_drain: %s\n' "$*" >&2
	exit 2
}
say() { printf '%s\n' "$*"; }
# shellcheck source=tests/bench/lib_cluster.sh
. "$here/lib_cluster.sh"

jobs=
runs=
smoke=0
profile=0
variants=0
while [ $# -gt 0 ]; do
	case $1 in
	--jobs)
		[ $# -ge 2 ] || die "--jobs needs a number"
		jobs=$2
		shift 2
		;;
	--runs)
		[ $# -ge 2 ] || die "--runs needs a number"
		runs=$2
		shift 2
		;;
	--smoke)
		smoke=1
		shift
		;;
	--profile)
		profile=1
		shift
		;;
	--variants)
		variants=1
		shift
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[ "$smoke" = 0 ] || [ "$profile" = 0 ] || die "--smoke and --profile do not go together"
[ "$smoke" = 0 ] || [ "$variants" = 0 ] || die "--smoke and --variants do not go together"
if [ "$smoke" = 1 ]; then
	jobs=${jobs:-2000}
	runs=${runs:-1}
elif [ "$profile" = 1 ]; then
	jobs=${jobs:-20000}
	runs=${runs:-1}
fi
jobs=${jobs:-200000}
runs=${runs:-3}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number, not $jobs"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number, not $runs"

build=$(realpath -m -- "${VEOGEN_BUILD:-$top/.devstack/build}")
pgport=${BENCH_PGPORT:-$((${VEOGEN_PORT:-8080} + 40))}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/veogen-bench}
clients=${BENCH_CLIENTS:-8}
{ [ -x "$build/veogen-runner" ] && [ -x "$build/veogenctl" ]; } ||
	die "no veogen-runner/veogenctl in $build: build first and set VEOGEN_BUILD"
cluster_check "$pgport"
[ -x "$pgbin/pgbench" ] || die "pgbench missing in $pgbin (apt-get install postgresql-15)"
if [ "$smoke" = 0 ]; then
	{ command -v node > /dev/null && command -v npm > /dev/null; } ||
		die "node and npm are needed for the graphile-worker cells (or use --smoke)"
fi

if [ "$profile" = 1 ] && [ "${BENCH_PERF:-0}" = 1 ]; then
	command -v perf > /dev/null || die "BENCH_PERF=1 needs perf (apt-get install linux-perf)"
fi

work=$(mktemp -d /tmp/veogen-queue-drain.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/storage" "$work/run"
runner_pid=
cleanup() {
	if [ -n "$runner_pid" ]; then
		kill "$runner_pid" 2> /dev/null || true
		wait "$runner_pid" 2> /dev/null || true
	fi
	cluster_stop
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "queue_drain: logs kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the cluster (lib_cluster.sh); --profile adds the statement statistics ----
profile_conf=
if [ "$profile" = 1 ]; then
	profile_conf="shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.track_utility = on
pg_stat_statements.track_planning = on
pg_stat_statements.max = 5000
track_wal_io_timing = on"
fi
cluster_start "$work/pg" "$pgport" queue_drain.sh "$profile_conf"
pg_master=$(head -1 "$cluster_data/postmaster.pid")
q() { # q DB SQL: one value
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
# every database of a cell is made from template1: with --profile it has pg_stat_statements
[ "$profile" = 0 ] || q template1 "CREATE EXTENSION pg_stat_statements" > /dev/null
fresh_db() {
	q postgres "DROP DATABASE IF EXISTS $1" > /dev/null
	q postgres "CREATE DATABASE $1" > /dev/null
}
# tree_ticks PID: CPU clock ticks (USER_HZ) used by PID and its children, the exited ones
# included (for the postmaster: every backend, closed ones too; for the runner: its
# workers).
tree_ticks() {
	{ cat /proc/[0-9]*/stat 2> /dev/null || true; } | awk -v p="$1" '
		{ r = substr($0, index($0, ") ") + 2); split(r, f, " ")
		  if ($1 == p || f[2] == p) t += f[12] + f[13] + f[14] + f[15] }
		END { print t + 0 }'
}
hz=$(getconf CLK_TCK)
# per_job TICKS JOBS: microseconds of CPU per job
per_job() {
	awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN { if (t == "" || t < 0 || n <= 0) print "?"; else printf "%.0f", t * 1e6 / hz / n }'
}

# ---- --profile: counters around each drain ----
# Every statement of the bench itself carries /* bench */, so that pg_stat_statements'
# figures leave it out.
prof_snapshot_sql="/* bench */ SELECT k, v FROM (
SELECT 'db.' || x.k AS k, x.v FROM pg_stat_database d, LATERAL (VALUES
	('xact_commit', d.xact_commit::numeric), ('xact_rollback', d.xact_rollback::numeric),
	('tup_returned', d.tup_returned::numeric), ('tup_fetched', d.tup_fetched::numeric),
	('tup_inserted', d.tup_inserted::numeric), ('tup_updated', d.tup_updated::numeric),
	('tup_deleted', d.tup_deleted::numeric), ('blks_hit', d.blks_hit::numeric),
	('blks_read', d.blks_read::numeric)) AS x(k, v) WHERE d.datname = current_database()
UNION ALL SELECT 'wal.' || x.k, x.v FROM pg_stat_wal w, LATERAL (VALUES
	('lsn', pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')), ('records', w.wal_records::numeric),
	('fpi', w.wal_fpi::numeric), ('bytes', w.wal_bytes), ('write', w.wal_write::numeric),
	('sync', w.wal_sync::numeric), ('sync_ms', w.wal_sync_time::numeric)) AS x(k, v)
UNION ALL SELECT 'tbl.' || t.schemaname || '.' || t.relname || '.' || x.k, x.v
	FROM pg_stat_user_tables t, LATERAL (VALUES ('seq_scan', t.seq_scan::numeric),
	('seq_tup_read', t.seq_tup_read::numeric), ('idx_scan', coalesce(t.idx_scan, 0)::numeric),
	('idx_tup_fetch', coalesce(t.idx_tup_fetch, 0)::numeric), ('n_tup_ins', t.n_tup_ins::numeric),
	('n_tup_upd', t.n_tup_upd::numeric), ('n_tup_hot_upd', t.n_tup_hot_upd::numeric),
	('n_tup_del', t.n_tup_del::numeric), ('n_dead_tup', t.n_dead_tup::numeric),
	('autovacuum_count', t.autovacuum_count::numeric),
	('pages', (pg_relation_size(t.relid) / 8192)::numeric)) AS x(k, v)
UNION ALL SELECT 'idx.' || i.schemaname || '.' || i.indexrelname || '.' || x.k, x.v
	FROM pg_stat_user_indexes i, LATERAL (VALUES ('idx_scan', i.idx_scan::numeric),
	('idx_tup_read', i.idx_tup_read::numeric), ('idx_tup_fetch', i.idx_tup_fetch::numeric),
	('pages', (pg_relation_size(i.indexrelid) / 8192)::numeric)) AS x(k, v)) s"
# prof_quiet DB KEEP: waits until at most KEEP other sessions are connected to DB (the drain's
# backends flush their counters when they exit), then 1.5 s more: an idle session flushes
# its counters within a second of going idle.
prof_quiet() {
	local i
	for ((i = 0; i < 120; i++)); do
		[ "$(q postgres "/* bench */ SELECT count(*) FROM pg_stat_activity
			WHERE datname = '$1' AND backend_type = 'client backend'")" -le "$2" ] && break
		sleep 0.25
	done
	sleep 1.5
}
prof_begin() { # prof_begin DB CELL KEEP
	prof_quiet "$1" "$3"
	psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$1" -c "$prof_snapshot_sql" > "$work/prof-$2.before"
	q "$1" "/* bench */ SELECT pg_stat_statements_reset()" > /dev/null
}
# prof_end DB CELL JOBS SESSIONS: SESSIONS is the number of the bench's own sessions on DB
# during the drain (one commit each), taken off the commits.
prof_end() {
	local db=$1 cell=$2 n=$3 polls=$4 f=$work/prof-$2
	prof_quiet "$db" 0
	psql -X -q -At -F ' ' -v ON_ERROR_STOP=1 -d "$db" -c "$prof_snapshot_sql" > "$f.after"
	# pg_stat_statements: one line of totals, then the statements by time (exec + plan)
	psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -d "$db" > "$f.stmts" << SQL
/* bench */ WITH s AS (SELECT * FROM pg_stat_statements
	WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND query NOT LIKE '%/* bench */%'
	AND query NOT LIKE 'select count(*)::int as n from graphile_worker.jobs%')
SELECT 'total', format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', round(sum(calls) FILTER (WHERE toplevel) / $n::numeric, 2),
	round(sum(calls) / $n::numeric, 2),
	round(sum(total_exec_time + total_plan_time) FILTER (WHERE toplevel) * 1000 / $n),
	round(sum(total_plan_time) * 1000 / $n),
	round(sum(wal_bytes) FILTER (WHERE toplevel) / $n),
	round(sum(rows) FILTER (WHERE toplevel) / $n::numeric, 2),
	round(coalesce(sum(calls) FILTER (WHERE query ~* 'notify'), 0) / $n::numeric, 3),
	round(coalesce(sum(calls) FILTER (WHERE toplevel
		AND query ~* '^\s*(begin|commit|rollback|start transaction)'), 0) / $n::numeric, 2),
	round(sum(shared_blks_hit + shared_blks_read) FILTER (WHERE toplevel) / $n::numeric, 1),
	round(sum(shared_blks_dirtied) FILTER (WHERE toplevel) / $n::numeric, 2)) FROM s
UNION ALL (SELECT CASE WHEN toplevel THEN 'top' ELSE 'nested' END, format('%s|%s|%s|%s|%s|%s|%s|%s',
	round(calls / $n::numeric, 3),
	round(((total_exec_time + total_plan_time) * 1000 / $n)::numeric, 1),
	round(((total_exec_time + total_plan_time) * 1000 / calls)::numeric, 1),
	round((total_plan_time * 1000 / calls)::numeric, 1),
	round(rows::numeric / calls, 2),
	round(wal_bytes / calls),
	round((shared_blks_hit + shared_blks_read)::numeric / calls, 1),
	left(regexp_replace(query, '\s+', ' ', 'g'), 160))
	FROM s ORDER BY total_exec_time + total_plan_time DESC LIMIT 14)
SQL
	awk -v n="$n" -v polls="$polls" -v cell="$cell" -v stmts="$f.stmts" '
		function d(k) { return a[k] - b[k] }
		function pj(k) { return d(k) / n }
		FILENAME ~ /before$/ { b[$1] = $2; next }
		{ a[$1] = $2; keys[++nk] = $1 }
		END {
			printf "profile %s: N = %d, per job:\n", cell, n
			while ((getline line < stmts) > 0) {
				split(line, t, "|")
				if (t[1] == "total") {
					printf "  top-level statements %s, with nested ones %s; of them BEGIN/COMMIT/ROLLBACK %s (PostgreSQL 15 counts a BEGIN or COMMIT sent as a prepared statement once per session: see the commits)\n", t[2], t[3], t[9]
					printf "  time inside statements %s us (planning %s us); rows %s; buffers touched %s, dirtied %s; NOTIFY %s\n", t[4], t[5], t[7], t[10], t[11], t[8]
					stw = t[6]
				} else {
					if (!hdr++) printf "  %-6s %9s %8s %8s %9s %9s %9s %9s  %s\n", "stmt", "calls/job", "us/job", "us/call", "plan/call", "rows/call", "WAL/call", "bufs/call", "query"
					qt = line
					for (j = 1; j <= 8; j++)
						qt = substr(qt, index(qt, "|") + 1)
					printf "  %-6s %9s %8s %8s %9s %9s %9s %9s  %s\n", t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], qt
				}
			}
			printf "  commits %.2f (%d sessions of the bench taken off), rollbacks %.2f\n", (d("db.xact_commit") - polls) / n, polls, pj("db.xact_rollback")
			printf "  WAL %.0f bytes (LSN), %.1f records, %.2f full-page images; inside statements %s bytes; %.2f WAL flushes (fsync), %.0f us of fsync\n", pj("wal.lsn"), pj("wal.records"), pj("wal.fpi"), stw, pj("wal.sync"), pj("wal.sync_ms") * 1000
			printf "  tuples (database): returned %.1f, fetched %.1f, inserted %.2f, updated %.2f, deleted %.2f; buffers hit %.1f, read %.2f\n", pj("db.tup_returned"), pj("db.tup_fetched"), pj("db.tup_inserted"), pj("db.tup_updated"), pj("db.tup_deleted"), pj("db.blks_hit"), pj("db.blks_read")
			for (i = 1; i <= nk; i++) {
				k = keys[i]
				if (k !~ /^tbl\..*\.n_tup_upd$/)
					continue
				t0 = substr(k, 1, length(k) - length(".n_tup_upd"))
				if (d(t0 ".n_tup_upd") + d(t0 ".n_tup_del") + d(t0 ".n_tup_ins") + d(t0 ".seq_scan") + d(t0 ".idx_scan") == 0)
					continue
				printf "  table %s: updated %.2f (HOT %.2f), inserted %.2f, deleted %.2f, seq scans %.3f (%.1f rows), index scans %.2f (%.2f rows); dead rows %d -> %d, pages %d -> %d, autovacuums %d\n", substr(t0, 5), pj(t0 ".n_tup_upd"), pj(t0 ".n_tup_hot_upd"), pj(t0 ".n_tup_ins"), pj(t0 ".n_tup_del"), pj(t0 ".seq_scan"), pj(t0 ".seq_tup_read"), pj(t0 ".idx_scan"), pj(t0 ".idx_tup_fetch"), b[t0 ".n_dead_tup"], a[t0 ".n_dead_tup"], b[t0 ".pages"], a[t0 ".pages"], d(t0 ".autovacuum_count")
			}
			for (i = 1; i <= nk; i++) {
				k = keys[i]
				if (k !~ /^idx\..*\.idx_scan$/)
					continue
				i0 = substr(k, 1, length(k) - length(".idx_scan"))
				if (d(i0 ".idx_scan") == 0 && d(i0 ".pages") == 0)
					continue
				printf "  index %s: scans %.2f, entries read %.2f, rows fetched %.2f; pages %d -> %d\n", substr(i0, 5), pj(i0 ".idx_scan"), pj(i0 ".idx_tup_read"), pj(i0 ".idx_tup_fetch"), b[i0 ".pages"], a[i0 ".pages"]
			}
		}' "$f.before" "$f.after" | tee "$f.txt"
}

# perf_summary DATA: where the CPU of the runner and the cluster went during the veogen drain:
# by process and library, the runner's libraries and functions, and PostgreSQL's phases
# (inclusive: a function with everything it calls, as a share of all the cluster's samples).
perf_summary() {
	local f=$1
	say "perf during the veogen drain (the runner and the cluster only), by process and library:"
	perf report -i "$f" --no-children --sort comm,dso --stdio -q -g none --percent-limit 0.2 2> /dev/null |
		sed -e '/^$/d' -e 's/^ */  /' | head -25
	say "veogen-runner alone (= 100 %), by function:"
	perf report -i "$f" --no-children --comms veogen-runner --percentage relative --sort dso,sym \
		--stdio -q -g none --percent-limit 1.5 2> /dev/null | sed -e '/^$/d' -e 's/^ */  /' | head -20
	say "postgres: phases, each with what it calls (share of the cluster's samples):"
	perf report -i "$f" --children --comms postgres --sort sym --stdio -q -g none 2> /dev/null |
		awk -v total="$(perf report -i "$f" --no-children --sort comm --stdio -q -g none 2> /dev/null |
			awk '$2 == "postgres" { sub(/%/, "", $1); print $1 }')" '
		BEGIN {
			n = split("PostgresMain:all backends;standard_ExecutorRun:executor (the statements);GetCachedPlan:plan cache (incl. planning);standard_planner:planner;CommitTransactionCommand:commit;XLogFlush:WAL flush at commit;ExecInsertIndexTuples:index inserts;heap_update:heap update;pq_getbyte:reading from the client;secure_write:writing to the client;WalWriterMain:WAL writer;CheckpointerMain:checkpointer;do_autovacuum:autovacuum", m, ";")
			for (i = 1; i <= n; i++) { split(m[i], kv, ":"); want[kv[1]] = kv[2]; order[i] = kv[1] }
		}
		$3 == "[.]" && ($4 in want) { sub(/%/, "", $1); got[$4] = $1 }
		END {
			if (total <= 0) exit
			for (i = 1; i <= n; i++)
				if (order[i] in got)
					printf "  %6.1f%%  %s\n", 100 * got[order[i]] / total, want[order[i]]
		}'
	say "postgres alone (= 100 %), by function (self):"
	perf report -i "$f" --no-children --comms postgres --percentage relative --sort dso,sym \
		--stdio -q -g none --percent-limit 1.5 2> /dev/null | sed -e '/^$/d' -e 's/^ */  /' | head -20
}

# --profile: a preloaded module holds graphile-worker's runOnce() until the counters are
# read (gw_drain.js itself is unchanged: its set-up, migrations and add_jobs() stay out).
if [ "$profile" = 1 ] && [ "$smoke" = 0 ]; then
	cat > "$work/gw_profile_hook.js" << 'JS'
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const sync = process.env.BENCH_PROFILE_SYNC;
const main = createRequire(path.join(process.argv[2], 'package.json')).resolve('graphile-worker');
const runner = require(path.join(path.dirname(main), 'runner.js'));
const runOnce = runner.runOnce;
runner.runOnce = async (...args) => {
	fs.writeFileSync(sync + '.ready', '');
	const cell = new Int32Array(new SharedArrayBuffer(4));
	for (let i = 0; i < 1200 && !fs.existsSync(sync + '.go'); i++) Atomics.wait(cell, 0, 0, 100);
	return runOnce(...args);
};
JS
fi

# ---- veogen-runner: the shipped defaults, this cluster, noop allowed ----
runner_conf "$work/veogen.conf" "host=127.0.0.1 port=$pgport dbname=veogen_bench user=postgres" queue-drain "$work" queue_drain.sh
"$build/veogen-runner" -t -c "$work/veogen.conf" > /dev/null ||
	die "the bench's runner configuration is not valid: $work/veogen.conf"
runner_workers=$(awk '/^runner:/ { r = 1 }
	r && /^[[:space:]]*workers[[:space:]]*=/ { gsub(/[;#].*/, "", $3); print $3; exit }' \
	"$top/etc/veogen.conf")

declare -A rate detail cpu_pg cpu_cl
failed=0

# run_veogen RUN: fresh database, migrations, N noop rows in one statement, the runner until
# no row is left to run, then the rows' own timestamps and checks.
run_veogen() {
	local run=$1 db=veogen_bench left limit t0 now out
	fresh_db "$db"
	"$build/veogenctl" -c "$work/veogen.conf" migrate --dir "$top/sql" >> "$work/migrate.log" 2>&1 || {
		tail -5 "$work/migrate.log" >&2
		die "veogenctl migrate failed"
	}
	if [ -n "${BENCH_VEOGEN_SQL:-}" ]; then
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "$BENCH_VEOGEN_SQL" > /dev/null ||
			die "BENCH_VEOGEN_SQL failed"
	fi
	q "$db" "INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, $jobs)" > /dev/null
	q "$db" "VACUUM ANALYZE jobs" > /dev/null
	q "$db" "CHECKPOINT" > /dev/null
	local ld pg0 pg1 cl='' polls=0 perf_pid=''
	[ "$profile" = 0 ] || prof_begin "$db" veogen 0
	ld=$(load)
	pg0=$(tree_ticks "$pg_master")
	"$build/veogen-runner" -F -c "$work/veogen.conf" 2> "$work/runner-$run.log" &
	runner_pid=$!
	if [ "$profile" = 1 ] && [ "${BENCH_PERF:-0}" = 1 ]; then
		# the runner's master and workers and the cluster's processes (its backends, WAL
		# writer, checkpointer, autovacuum): once the workers have connected
		local pids i
		for ((i = 0; i < 20; i++)); do
			sleep 0.1
			[ "$(q postgres "/* bench */ SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'
				AND application_name = 'veogen-runner'")" -gt "$runner_workers" ] && break
		done
		pids=$( { echo "$runner_pid"; pgrep -P "$runner_pid"; pgrep -P "$pg_master"; } | paste -sd,)
		perf record -g -F "${BENCH_PERF_FREQ:-999}" -p "$pids" -o "$work/perf-veogen.data" \
			> "$work/perf-record.log" 2>&1 &
		perf_pid=$!
	fi
	# at least 50 jobs/s even on a very busy host; a smoke run must end within a minute
	limit=$((jobs / 50 + 60))
	[ "$smoke" = 0 ] || limit=40
	# The drain's window comes from the rows; polling only ends the cell (each poll is a
	# new connection, whose backend's CPU counts in PostgreSQL's figure: rarely, then).
	local every=1
	[ "$smoke" = 0 ] || every=0.25
	t0=$(date +%s)
	while :; do
		sleep "$every"
		polls=$((polls + 1))
		left=$(q "$db" "/* bench */ SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'blocked')")
		if [ "$left" = 0 ]; then
			cl=$(tree_ticks "$runner_pid")
			break
		fi
		now=$(date +%s)
		if ! kill -0 "$runner_pid" 2> /dev/null; then
			echo "veogen-runner exited with $left jobs left; its log:" >&2
			tail -20 "$work/runner-$run.log" >&2
			break
		fi
		if [ $((now - t0)) -gt "$limit" ]; then
			echo "veogen-runner: $left jobs still not done after ${limit}s" >&2
			break
		fi
	done
	pg1=$(tree_ticks "$pg_master")
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid" 2> /dev/null || true
		wait "$perf_pid" 2> /dev/null || true
	fi
	kill "$runner_pid" 2> /dev/null || true
	wait "$runner_pid" 2> /dev/null || true
	runner_pid=
	if [ "$profile" = 1 ]; then
		# the snapshot session and the reset of prof_begin commit inside the window too
		prof_end "$db" veogen "$jobs" $((polls + 2))
		[ -z "$perf_pid" ] || perf_summary "$work/perf-veogen.data"
	fi
	out=$(q "$db" "SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'),
		count(*) FILTER (WHERE attempt > 1), count(*) FILTER (WHERE retries <> 0),
		round(extract(epoch FROM max(finished_at) - min(started_at)) * 1000)
		FROM jobs WHERE kind = 'noop'")
	local n ndone reclaimed retried ms
	IFS='|' read -r n ndone reclaimed retried ms <<< "$out"
	local ok=ok
	if [ "$n" != "$jobs" ] || [ "$ndone" != "$jobs" ] || [ "$reclaimed" != 0 ] || [ "$retried" != 0 ]; then
		ok=FAILED
		failed=1
	fi
	ms=${ms:-0}
	[ "$ms" -gt 0 ] || ms=1
	rate[veogen,$run]=$(awk -v n="$ndone" -v ms="$ms" 'BEGIN { printf "%.0f", 1000 * n / ms }')
	cpu_pg[veogen,$run]=$(per_job $((pg1 - pg0)) "$jobs")
	cpu_cl[veogen,$run]=$(per_job "$cl" "$jobs")
	detail[veogen,$run]="$ndone of $n succeeded, $reclaimed claimed more than once, $retried retried; window ${ms} ms; load $ld; $ok"
	[ "$ok" = ok ] || {
		echo "veogen run $run: check failed; the runner's log ends:" >&2
		grep -v 'level=info' "$work/runner-$run.log" | tail -10 >&2 || true
	}
	[ "$run" = "$runs" ] || rm -f "$work/runner-$run.log"
}

# run_gw MODE CELL RUN
run_gw() {
	local mode=$1 cell=$2 run=$3 db=gw_bench out ld ok=ok
	fresh_db "$db"
	q "$db" "CHECKPOINT" > /dev/null
	ld=$(load)
	local node_args=() sync=$work/gw-sync-$cell-$run rc=0 pid
	[ "$profile" = 0 ] || node_args=(-r "$work/gw_profile_hook.js")
	BENCH_PROFILE_SYNC=$sync BENCH_PG_PID=$pg_master node "${node_args[@]}" "$here/gw_drain.js" "$cache" \
		"postgres://postgres@127.0.0.1:$pgport/$db" "$jobs" "$mode" \
		> "$work/gw-$cell-$run.out" 2> "$work/gw-$cell-$run.err" &
	pid=$!
	if [ "$profile" = 1 ]; then
		# the hook holds runOnce() until the counters are read
		while [ ! -e "$sync.ready" ] && kill -0 "$pid" 2> /dev/null; do sleep 0.1; done
		if [ -e "$sync.ready" ]; then
			prof_begin "$db" "$cell" 1
			: > "$sync.go"
		fi
	fi
	wait "$pid" || rc=$?
	out=$(cat "$work/gw-$cell-$run.out")
	if [ "$rc" != 0 ]; then
		ok=FAILED
		failed=1
		cat "$work/gw-$cell-$run.err" >&2
	fi
	# gw_drain.js's own count of the rows left commits once; so do the snapshot and the reset
	[ "$profile" = 0 ] || prof_end "$db" "$cell" "$jobs" 3
	rate[$cell,$run]=$(printf '%s' "$out" | sed -n 's/.*"jobs_per_s":\([0-9]*\).*/\1/p')
	rate[$cell,$run]=${rate[$cell,$run]:-0}
	cpu_pg[$cell,$run]=$(per_job "$(printf '%s' "$out" | sed -n 's/.*"pg_cpu_ms":\([0-9]*\).*/\1/p' |
		awk -v hz="$hz" '{ print $1 * hz / 1000 }')" "$jobs")
	cpu_cl[$cell,$run]=$(per_job "$(printf '%s' "$out" | sed -n 's/.*"client_cpu_ms":\([0-9]*\).*/\1/p' |
		awk -v hz="$hz" '{ print $1 * hz / 1000 }')" "$jobs")
	detail[$cell,$run]="$(printf '%s' "$out" | sed -n 's/.*"once":\([0-9]*\),"more_than_once":\([0-9]*\),"never":\([0-9]*\),"rows_left":\([0-9]*\).*"drain_ms":\([0-9]*\).*/\1 run once, \2 more than once, \3 never, \4 rows left; window \5 ms/p'); load $ld; $ok"
}

# run_ceiling SCRIPT BATCH CELL RUN: drains about N rows with pgbench -t.
run_ceiling() {
	local script=$1 batch=$2 cell=$3 run=$4 db=ceiling per rows out tps ndone ld pg0 pg1 ok=ok
	per=$(((jobs + batch * clients - 1) / (batch * clients)))
	rows=$((per * batch * clients))
	fresh_db "$db"
	psql -X -q -v ON_ERROR_STOP=1 -v n="$rows" -d "$db" -f "$here/queue_ceiling_schema.sql" \
		> /dev/null 2>&1 || die "cannot create the ceiling's table"
	q "$db" "CHECKPOINT" > /dev/null
	[ "$profile" = 0 ] || prof_begin "$db" "$cell" 0
	ld=$(load)
	pg0=$(tree_ticks "$pg_master")
	: > "$work/time.txt"
	out=$("${timer[@]}" "$pgbin/pgbench" -n -M prepared -f "$here/$script" -c "$clients" -j 2 -t "$per" "$db" 2>&1) || {
		echo "$out" | tail -5 >&2
		ok=FAILED
		failed=1
	}
	pg1=$(tree_ticks "$pg_master")
	tps=$(printf '%s\n' "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
	[ "$profile" = 0 ] || prof_end "$db" "$cell" "$rows" 2
	cpu_pg[$cell,$run]=$(per_job $((pg1 - pg0)) "$rows")
	cpu_cl[$cell,$run]=$(per_job "$(awk -v hz="$hz" 'NF == 2 { print ($1 + $2) * hz }' "$work/time.txt")" "$rows")
	ndone=$(q "$db" "SELECT count(*) FROM q WHERE state = 2")
	if [ "$ndone" != "$rows" ]; then
		ok=FAILED
		failed=1
	fi
	rate[$cell,$run]=$(awk -v t="${tps:-0}" -v b="$batch" 'BEGIN { printf "%.0f", t * b }')
	detail[$cell,$run]="$ndone of $rows done, $clients clients x $per transactions; load $ld; $ok"
}

# ---- --variants: veogen's own statements driven by pgbench, as they are and as they could be ----
# The statements are copied from src/vg_queue.c as it was before the batch runner (c72f94f:
# CLAIM_SQL for the CPU lane with LIMIT $1, FENCE through any index, complete_tx): the
# measurements that chose what the runner does now; pgbench runs them with as many clients as the runner has CPU workers, on a
# database migrated by veogenctl, so each cell measures one change of the statements or the
# schema without the runner around it (README.md: "Where the drain time goes").
v_claim_where="state = 'queued' AND run_at <= now() AND step NOT LIKE 'remote.%' AND kind <> 'webhook' ORDER BY priority, run_at, id"
v_claim_set="state = 'running', attempt = j.attempt + 1, locked_by = 'bench/' || :client_id, lease_until = now() + make_interval(secs => 300), heartbeat_at = now(), started_at = coalesce(j.started_at, now())"
v_cols="j.id, j.kind, j.step, j.attempt, j.retries, j.max_attempts, j.payload::text AS payload, j.state_data::text AS state_data, j.locked_by"
v_fence="id = :id AND state = 'running' AND attempt = :attempt AND locked_by = :locked_by"
# the same guard written so that only the primary key can serve it (not an index on state)
v_fence_pk="id = :id AND (state = 'running') IS TRUE AND attempt = :attempt AND locked_by = :locked_by"
v_complete="UPDATE jobs SET state = 'succeeded', finished_at = now(), lease_until = NULL WHERE $v_fence RETURNING id;"
v_lockdeps="SELECT b.id FROM jobs b JOIN job_deps d ON d.job_id = b.id WHERE d.depends_on = :id AND b.state = 'blocked' ORDER BY b.id FOR UPDATE OF b;"
v_unblock="UPDATE jobs b SET state = 'queued', run_at = now() WHERE b.state = 'blocked' AND b.id IN (SELECT job_id FROM job_deps WHERE depends_on = :id) AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs o ON o.id = d.depends_on WHERE d.job_id = b.id AND o.state <> 'succeeded') RETURNING b.id;"
v_claim1="WITH c AS MATERIALIZED (SELECT id FROM jobs WHERE $v_claim_where LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE jobs j SET $v_claim_set FROM c WHERE j.id = c.id"
# variant_script CELL: the pgbench script of a variant cell
variant_script() {
	case $1 in
	v-today | v-noadmin)
		# vg_queue_claim (LIMIT $1) committed, then vg_queue_complete: BEGIN, the fenced
		# UPDATE, the dependants, COMMIT: five round trips, two commits
		printf '%s\n' '\set lim 1' \
			"WITH c AS MATERIALIZED (SELECT id FROM jobs WHERE $v_claim_where LIMIT :lim::int FOR UPDATE SKIP LOCKED) UPDATE jobs j SET $v_claim_set FROM c WHERE j.id = c.id RETURNING $v_cols" \
			'\gset' 'BEGIN;' "$v_complete" "$v_lockdeps" 'COMMIT;'
		;;
	v-pkey) # the fenced completion found by the primary key, not by scanning an index on state
		printf '%s\n' '\set lim 1' \
			"WITH c AS MATERIALIZED (SELECT id FROM jobs WHERE $v_claim_where LIMIT :lim::int FOR UPDATE SKIP LOCKED) UPDATE jobs j SET $v_claim_set FROM c WHERE j.id = c.id RETURNING $v_cols" \
			'\gset' 'BEGIN;' "${v_complete/"$v_fence"/"$v_fence_pk"}" "$v_lockdeps" 'COMMIT;'
		;;
	v-lim1) # the same with LIMIT 1 written out: the plan is cached, not made per call
		printf '%s\n' "$v_claim1 RETURNING $v_cols" '\gset' 'BEGIN;' "$v_complete" "$v_lockdeps" 'COMMIT;'
		;;
	v-pipe) # + the completion's transaction sent at once (libpq pipeline): two round trips
		printf '%s\n' "$v_claim1 RETURNING $v_cols" '\gset' '\startpipeline' 'BEGIN;' \
			"$v_complete" "$v_lockdeps" "$v_unblock" 'COMMIT;' '\endpipeline'
		;;
	v-async) # + the claim committed without waiting for the WAL flush
		printf '%s\n' "$v_claim1 AND set_config('synchronous_commit', 'off', true) IS NOT NULL RETURNING $v_cols" \
			'\gset' '\startpipeline' 'BEGIN;' "$v_complete" "$v_lockdeps" "$v_unblock" 'COMMIT;' '\endpipeline'
		;;
	v-next | v-best1)
		# complete the job held and claim the next in one statement: one round trip and one
		# commit per job (the first completion matches nothing: pgbench -D gives a dummy);
		# v-best1 also with the completion on the primary key and without the admin index
		local fence=$v_fence
		[ "$1" = v-next ] || fence=$v_fence_pk
		printf '%s\n' "WITH done AS (UPDATE jobs SET state = 'succeeded', finished_at = now(), lease_until = NULL WHERE $fence RETURNING id), c AS MATERIALIZED (SELECT id FROM jobs WHERE $v_claim_where LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE jobs j SET $v_claim_set FROM c WHERE j.id = c.id RETURNING $v_cols, (SELECT count(*) FROM done) AS completed" '\gset'
		;;
	v-b100)
		# claim 100 in one statement, complete them in one fenced statement per batch
		# (id, attempt) arrays + owner, dependants in the same transaction, pipelined
		printf '%s\n' "WITH c AS MATERIALIZED (SELECT id FROM jobs WHERE $v_claim_where LIMIT 100 FOR UPDATE SKIP LOCKED), u AS (UPDATE jobs j SET $v_claim_set FROM c WHERE j.id = c.id RETURNING $v_cols) SELECT array_agg(id)::text AS ids, array_agg(attempt)::text AS atts, min(locked_by) AS owner FROM u" \
			'\gset' '\startpipeline' 'BEGIN;' \
			"UPDATE jobs j SET state = 'succeeded', finished_at = now(), lease_until = NULL FROM unnest(:ids::uuid[], :atts::int[]) AS h(id, attempt) WHERE j.id = h.id AND j.state = 'running' AND j.attempt = h.attempt AND j.locked_by = :owner RETURNING j.id;" \
			"SELECT b.id FROM jobs b JOIN job_deps d ON d.job_id = b.id WHERE d.depends_on = ANY (:ids::uuid[]) AND b.state = 'blocked' ORDER BY b.id FOR UPDATE OF b;" \
			"UPDATE jobs b SET state = 'queued', run_at = now() WHERE b.state = 'blocked' AND b.id IN (SELECT job_id FROM job_deps WHERE depends_on = ANY (:ids::uuid[])) AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs o ON o.id = d.depends_on WHERE d.job_id = b.id AND o.state <> 'succeeded') RETURNING b.id;" \
			'COMMIT;' '\endpipeline'
		;;
	esac
}

# run_variant CELL RUN
run_variant() {
	local cell=$1 run=$2 db=veogen_bench batch=1 per total ld pg0 pg1 out tps ndone nrun ok=ok
	variant_script "$cell" > "$work/$cell.sql"
	[ "$cell" != v-b100 ] || batch=100
	per=$(((jobs + batch * runner_workers - 1) / (batch * runner_workers)))
	total=$((per * batch * runner_workers))
	fresh_db "$db"
	"$build/veogenctl" -c "$work/veogen.conf" migrate --dir "$top/sql" >> "$work/migrate.log" 2>&1 ||
		die "veogenctl migrate failed"
	case $cell in
	v-noadmin | v-best1) q "$db" "DROP INDEX jobs_state_kind_created" > /dev/null ;;
	esac
	q "$db" "INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, $total)" > /dev/null
	q "$db" "VACUUM ANALYZE jobs" > /dev/null
	q "$db" "CHECKPOINT" > /dev/null
	[ "$profile" = 0 ] || prof_begin "$db" "$cell" 0
	ld=$(load)
	pg0=$(tree_ticks "$pg_master")
	: > "$work/time.txt"
	out=$("${timer[@]}" "$pgbin/pgbench" -n -M prepared -f "$work/$cell.sql" -c "$runner_workers" -j "$runner_workers" \
		-t "$per" -D id=00000000-0000-0000-0000-000000000000 -D attempt=0 -D locked_by=none "$db" 2>&1) || {
		echo "$out" | tail -5 >&2
		ok=FAILED
		failed=1
	}
	pg1=$(tree_ticks "$pg_master")
	tps=$(printf '%s\n' "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
	[ "$profile" = 0 ] || prof_end "$db" "$cell" "$total" 2
	cpu_pg[$cell,$run]=$(per_job $((pg1 - pg0)) "$total")
	cpu_cl[$cell,$run]=$(per_job "$(awk -v hz="$hz" 'NF == 2 { print ($1 + $2) * hz }' "$work/time.txt")" "$total")
	IFS='|' read -r ndone nrun <<< "$(q "$db" "SELECT count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE state = 'running') FROM jobs")"
	# v-next leaves the last job of each client claimed, not completed
	if [ "$cell" = v-next ] || [ "$cell" = v-best1 ]; then
		if [ "$ndone" != $((total - runner_workers)) ] || [ "$nrun" != "$runner_workers" ]; then
			ok=FAILED
		fi
	elif [ "$ndone" != "$total" ]; then
		ok=FAILED
	fi
	[ "$ok" = ok ] || failed=1
	rate[$cell,$run]=$(awk -v t="${tps:-0}" -v b="$batch" 'BEGIN { printf "%.0f", t * b }')
	detail[$cell,$run]="$ndone of $total succeeded, $runner_workers clients x $per transactions; load $ld; $ok"
}

timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f '%U %S' -o "$work/time.txt")

variant_cells=(v-today v-lim1 v-pkey v-noadmin v-pipe v-async v-next v-best1 v-b100)
cells=(veogen)
[ "$smoke" = 1 ] || cells+=(gw-tuned gw-c24)
cells+=(ceil-b100 ceil-b1)
[ "$variants" = 0 ] || cells+=("${variant_cells[@]}")
if [ -n "${BENCH_CELLS:-}" ]; then
	read -r -a want <<< "$BENCH_CELLS"
	for c in "${want[@]}"; do
		[[ " ${cells[*]} ${variant_cells[*]} " == *" $c "* ]] ||
			die "BENCH_CELLS: no cell $c (${cells[*]} ${variant_cells[*]})"
	done
	cells=("${want[@]}")
fi
declare -A label=(
	[veogen]="veogen-runner ($runner_workers CPU workers, noop)"
	[gw-tuned]="graphile-worker c24 + localQueue 500 + batch"
	[gw-c24]="graphile-worker c24"
	[ceil-b100]="SQL ceiling, 100 per claim, $clients clients"
	[ceil-b1]="SQL ceiling, 1 per claim, $clients clients"
	[v-today]="veogen's statements before c72f94f (pgbench)"
	[v-lim1]="... claim with LIMIT 1 written out"
	[v-pkey]="... completion fenced on the primary key"
	[v-noadmin]="today without jobs_state_kind_created"
	[v-pipe]="lim1 + completion pipelined (2 round trips)"
	[v-async]="pipe + claim commit not waiting for flush"
	[v-next]="complete + claim next in 1 statement"
	[v-best1]="next + lim1 + pkey + no admin index"
	[v-b100]="claim 100, complete 100 fenced (arrays)"
)

say "# queue_drain $(date -u +%Y-%m-%dT%H:%M:%SZ): N=$jobs, $runs run(s) per cell$([ "$smoke" = 1 ] && echo ', smoke')$([ "$profile" = 1 ] && echo ', profile: pg_stat_statements loaded, figures slower')"
say "# $(nproc) cores; load $(load) at start; PostgreSQL $(q postgres 'SHOW server_version'), synchronous_commit=$(q postgres 'SHOW synchronous_commit'), fsync=$(q postgres 'SHOW fsync'), shared_buffers=$(q postgres 'SHOW shared_buffers'); 127.0.0.1:$pgport, cluster user $pg_user"
[ "$smoke" = 1 ] ||
	say "# $(node -e "const r=require('module').createRequire('$cache/package.json');console.log('graphile-worker',r('graphile-worker/package.json').version+', pg',r('pg/package.json').version+', node',process.version)")"

for ((run = 1; run <= runs; run++)); do
	for cell in "${cells[@]}"; do
		case $cell in
		veogen) run_veogen "$run" ;;
		gw-tuned) run_gw c24lq "$cell" "$run" ;;
		gw-c24) run_gw c24 "$cell" "$run" ;;
		ceil-b100) run_ceiling queue_ceiling_b100.sql 100 "$cell" "$run" ;;
		ceil-b1) run_ceiling queue_ceiling_b1.sql 1 "$cell" "$run" ;;
		v-*) run_variant "$cell" "$run" ;;
		esac
		printf 'run %d %-48s %8s jobs/s  (%s; CPU per job: PostgreSQL %s us, client %s us)\n' \
			"$run" "${label[$cell]}" "${rate[$cell,$run]}" "${detail[$cell,$run]}" \
			"${cpu_pg[$cell,$run]}" "${cpu_cl[$cell,$run]}"
	done
done

median() { # median ARRAY CELL
	local -n arr=$1
	local r
	for ((r = 1; r <= runs; r++)); do echo "${arr[$2,$r]}"; done | grep -v '?' | sort -n |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) print "?"
			else if (NR % 2) print v[(NR + 1) / 2]
			else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'
}

say ""
header=$(printf '%-48s' cell)
for ((run = 1; run <= runs; run++)); do header+=$(printf ' %9s' "run $run"); done
[ "$runs" = 1 ] || header+=$(printf ' %9s' median)
say "$header   (jobs/s)"
declare -A med
for cell in "${cells[@]}"; do
	med[$cell]=$(median rate "$cell")
	line=$(printf '%-48s' "${label[$cell]}")
	for ((run = 1; run <= runs; run++)); do line+=$(printf ' %9s' "${rate[$cell,$run]}"); done
	[ "$runs" = 1 ] || line+=$(printf ' %9s' "${med[$cell]}")
	say "$line"
done
say ""
say "$(printf '%-48s %12s %12s' "CPU per job$([ "$runs" = 1 ] || echo ', median')" 'PostgreSQL' 'client')"
for cell in "${cells[@]}"; do
	say "$(printf '%-48s %9s us %9s us' "${label[$cell]}" "$(median cpu_pg "$cell")" "$(median cpu_cl "$cell")")"
done
say ""
what=$([ "$runs" = 1 ] && echo "" || echo " (medians)")
if [ "$smoke" = 0 ]; then
	say "veogen / graphile-worker tuned$what:   $(ratio "${med[veogen]:-}" "${med[gw-tuned]:-}")   (target >= 1.0)"
	say "veogen / graphile-worker c24$what:     $(ratio "${med[veogen]:-}" "${med[gw-c24]:-}")"
fi
say "veogen / SQL ceiling batched$what:     $(ratio "${med[veogen]:-}" "${med[ceil-b100]:-}")   (target >= 0.7)"
say "veogen / SQL ceiling unbatched$what:   $(ratio "${med[veogen]:-}" "${med[ceil-b1]:-}")"
say "# load $(load) at the end"
if [ "$failed" != 0 ]; then
	say "queue_drain: FAILED: a cell's check failed (see above)"
	exit 1
fi
say "queue_drain: every job of every cell done exactly once"
