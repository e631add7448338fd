#!/usr/bin/env bash
# wake_latency.sh [--jobs N] [--interval MS] [--quick]: how long a job waits between its
# insert and its claim while veogen-runner is idle (woken by LISTEN/NOTIFY), against a bare
# LISTEN/NOTIFY round trip measured in the same invocation on the same private PostgreSQL
# cluster (README.md in this directory: "wake_latency.sh").
#
#   veogen      veogen-runner with the shipped configuration (etc/veogen.conf defaults)
#               plus runner.allow_noop = true, idle; wake_bench inserts N jobs of kind noop
#               one statement at a time, MS apart, with the API's own enqueue statement
#               (INSERT + pg_notify, autocommit).  Latency per job from the row, database
#               clock: started_at (now() of the claiming statement) - created_at (now() of
#               the inserting statement: so the insert's own execution and its commit,
#               WAL flush included, are inside the figure).
#   reference   wake_bench notify: one connection LISTENs (a thread waiting in poll(), as
#               the runner's worker does), another sends NOTIFY, N times MS apart; from
#               just before the NOTIFY is sent to the notification's arrival at the
#               listening client (the NOTIFY's commit included, as the insert's is above).
#
# N = 1000, MS = 20 unless told otherwise; --quick is N = 200.  Prints p50, p99 and max of
# both, their ratios, and the targets (p50 < 5 ms, p99 < 50 ms) met or missed.  Exits 1
# when the measurement itself fails (cluster, runner, a job not claimed exactly once, a
# notification lost); a missed target is a finding and exits 0.
#
# Environment: VEOGEN_BUILD (veogen-runner, veogenctl and the build for wake_bench; default
# .devstack/build), BENCH_PGPORT (the cluster's loopback port; default VEOGEN_PORT+42,
# VEOGEN_PORT 8080), BENCH_PG_USER (the cluster's OS user when run as root: veogen-dev, else
# postgres; initdb refuses root), WAKE_BENCH (the helper; default
# $VEOGEN_BUILD/tests/bench/wake_bench, built by make there, or compiled with cc into the
# work directory when that build does not know it yet), BENCH_KEEP=1 (keep the work
# directory with the logs), PGBIN (/usr/lib/postgresql/15/bin).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

die() {
	printf 'wake_latency: %s\n' "$*" >&2
	exit 1
}
say() { printf '%s\n' "$*"; }
# shellcheck source=tests/bench/lib_cluster.sh
. "$here/lib_cluster.sh"

jobs=1000
interval=20
while [ $# -gt 0 ]; do
	case $1 in
	--jobs)
		[ $# -ge 2 ] || die "--jobs needs a number"
		jobs=$2
		shift 2
		;;
	--interval)
		[ $# -ge 2 ] || die "--interval needs a number of milliseconds"
		interval=$2
		shift 2
		;;
	--quick)
		jobs=200
		shift
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number, not $jobs"
[[ $interval =~ ^[0-9]+$ ]] || die "--interval wants milliseconds, not $interval"

build=$(realpath -m -- "${VEOGEN_BUILD:-$top/.devstack/build}")
pgport=${BENCH_PGPORT:-$((${VEOGEN_PORT:-8080} + 42))}
{ [ -x "$build/veogen-runner" ] && [ -x "$build/veogenctl" ]; } ||
	die "no veogen-runner/veogenctl in $build: build first and set VEOGEN_BUILD"
cluster_check "$pgport"

work=$(mktemp -d /tmp/veogen-wake.XXXXXX)
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
		echo "wake_latency: logs kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the helper: from the build when it knows the target, else compiled here ----
helper=${WAKE_BENCH:-}
if [ -z "$helper" ]; then
	helper=$build/tests/bench/wake_bench
	# make only where the build's Makefile already has the target (a Makefile.in older than
	# Makefile.am would otherwise be regenerated in the source tree by this call).
	# shellcheck disable=SC2016
	if ! { [ -f "$build/Makefile" ] && grep -q '^tests/bench/wake_bench\$(EXEEXT):' "$build/Makefile" &&
		make -s -C "$build" tests/bench/wake_bench > "$work/make.log" 2>&1; }; then
		helper=$work/wake_bench
		# shellcheck disable=SC2046
		cc -std=gnu11 -O2 -I"$top/src" -I"$build" $(pkg-config --cflags libpq jansson 2> /dev/null) \
			-o "$helper" "$here/wake_bench.c" -lpq -lpthread > "$work/cc.log" 2>&1 || {
			cat "$work/make.log" "$work/cc.log" >&2 2> /dev/null || true
			die "cannot build wake_bench (make tests/bench/wake_bench, or cc with libpq-dev)"
		}
	fi
fi
[ -x "$helper" ] || die "no wake_bench at $helper"

# ---- the cluster: the benchmarks' settings (lib_cluster.sh) ----
cluster_start "$work/pg" "$pgport" wake_latency.sh
db=veogen_wake
conninfo="host=127.0.0.1 port=$pgport dbname=$db user=postgres"
q() { # q SQL: rows, fields separated by |
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"
}
PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -d postgres -c "CREATE DATABASE $db" > /dev/null ||
	die "cannot create the database"

# ---- veogen-runner: the shipped defaults, this cluster, noop allowed ----
runner_conf "$work/veogen.conf" "$conninfo" wake-latency "$work" wake_latency.sh
"$build/veogen-runner" -t -c "$work/veogen.conf" > /dev/null ||
	die "the bench's runner configuration is not valid: $work/veogen.conf"
"$build/veogenctl" -c "$work/veogen.conf" migrate --dir "$top/sql" > "$work/migrate.log" 2>&1 || {
	tail -5 "$work/migrate.log" >&2
	die "veogenctl migrate failed"
}
poll_ms=$(awk '/^runner:/ { r = 1 }
	r && /^[[:space:]]*poll_interval_ms[[:space:]]*=/ { gsub(/[;#].*/, "", $3); print $3; exit }' \
	"$top/etc/veogen.conf")

"$build/veogen-runner" -F -c "$work/veogen.conf" 2> "$work/runner.log" &
runner_pid=$!

# wait_done WHAT SECONDS: until no noop job is left queued or running.
wait_done() {
	local left i
	for ((i = 0; i < $2 * 10; i++)); do
		left=$(q "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")
		[ "$left" = 0 ] && return 0
		kill -0 "$runner_pid" 2> /dev/null || {
			tail -20 "$work/runner.log" >&2
			die "veogen-runner exited during $1"
		}
		sleep 0.1
	done
	tail -20 "$work/runner.log" >&2
	die "$1: $left jobs still not done after $2 s"
}

# Warm-up: every worker has connected, LISTENs and has run a job; then the runner is idle.
"$helper" jobs "$conninfo" 8 5 > /dev/null || die "wake_bench could not insert the warm-up jobs"
wait_done "the warm-up" 30
sleep 1
q "DELETE FROM jobs" > /dev/null
q "VACUUM ANALYZE jobs" > /dev/null
q "CHECKPOINT" > /dev/null
sleep 1

# pct FILE COLUMN: "p50 p99 max count" in ms (nearest rank) of a column of microseconds.
pct() {
	awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "? ? ? 0"; exit }
			i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999)
			printf "%.2f %.2f %.2f %d\n", v[i50] / 1000, v[i99] / 1000, v[NR] / 1000, NR }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
verdict() { # verdict VALUE LIMIT
	awk -v v="$1" -v l="$2" 'BEGIN { print (v != "?" && v + 0 < l + 0) ? "met" : "MISSED" }'
}

say "# wake_latency $(date -u +%Y-%m-%dT%H:%M:%SZ): N=$jobs, one every $interval ms"
say "# $(nproc) cores; load $(load) at start; PostgreSQL $(q 'SHOW server_version'), synchronous_commit=$(q 'SHOW synchronous_commit'), fsync=$(q 'SHOW fsync'); TCP 127.0.0.1:$pgport; runner: shipped defaults ($(q "SELECT 1" > /dev/null && echo "poll_interval_ms $poll_ms"), allow_noop)"

# ---- the reference: a bare LISTEN/NOTIFY round trip ----
ld_ref=$(load)
"$helper" notify "$conninfo" "$jobs" "$interval" > "$work/ref.txt" 2> "$work/ref.err" || {
	cat "$work/ref.err" >&2
	die "the LISTEN/NOTIFY reference failed"
}
read -r r50 r99 rmax rn < <(pct "$work/ref.txt" 3)
read -r rc50 rc99 rcmax _ < <(pct "$work/ref.txt" 2)
[ "$rn" = "$jobs" ] || die "the reference measured $rn round trips, not $jobs"

# ---- veogen: N jobs one at a time, claimed by the idle runner ----
ld_jobs=$(load)
"$helper" jobs "$conninfo" "$jobs" "$interval" > "$work/jobs.txt" 2> "$work/jobs.err" || {
	cat "$work/jobs.err" >&2
	die "wake_bench could not insert the jobs"
}
wait_done "the measured jobs" 120
read -r i50 i99 imax _ < <(pct "$work/jobs.txt" 2)
out=$(q "SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'),
	count(*) FILTER (WHERE attempt = 1)
	FROM jobs WHERE kind = 'noop'")
IFS='|' read -r n ndone once <<< "$out"
q "SELECT round(extract(epoch FROM started_at - created_at) * 1e6)
	FROM jobs WHERE kind = 'noop' AND started_at IS NOT NULL" > "$work/latency.txt"
read -r j50 j99 jmax jn < <(pct "$work/latency.txt" 1)
slow=$(awk -v p="$poll_ms" '$1 >= p * 1000 * 0.5 { n++ } END { print n + 0 }' "$work/latency.txt")
ok=1
if [ "$n" != "$jobs" ] || [ "$ndone" != "$jobs" ] || [ "$once" != "$jobs" ] || [ "$jn" != "$jobs" ]; then
	ok=0
fi

say ""
say "$(printf '%-58s %9s %9s %9s' '' 'p50 ms' 'p99 ms' 'max ms')"
say "$(printf '%-58s %9s %9s %9s' "veogen: insert -> claim (started_at - created_at)" "$j50" "$j99" "$jmax")"
say "$(printf '%-58s %9s %9s %9s' "  beside it: the insert statement's round trip (client)" "$i50" "$i99" "$imax")"
say "$(printf '%-58s %9s %9s %9s' "reference: NOTIFY sent -> received by the listener" "$r50" "$r99" "$rmax")"
say "$(printf '%-58s %9s %9s %9s' "  beside it: the NOTIFY statement's round trip (client)" "$rc50" "$rc99" "$rcmax")"
say ""
say "veogen / reference: p50 $(ratio "$j50" "$r50"), p99 $(ratio "$j99" "$r99")"
say "jobs: $ndone of $n succeeded, $once claimed exactly once; $slow waited >= half the poll interval ($poll_ms ms: woken by polling, not NOTIFY)"
say "load $ld_ref at the reference's start, $ld_jobs at the jobs' start, $(load) at the end"
say "target p50 < 5 ms: $j50 ms, $(verdict "$j50" 5)"
say "target p99 < 50 ms: $j99 ms, $(verdict "$j99" 50)"
if [ "$ok" != 1 ]; then
	grep -v 'level=info' "$work/runner.log" | tail -10 >&2 || true
	die "FAILED: not every job was claimed exactly once and succeeded (see above)"
fi
