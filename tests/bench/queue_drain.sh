#!/usr/bin/env bash
# queue_drain.sh [--jobs N] [--runs R] [--smoke]: how fast veogen-runner drains N no-op jobs,
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
#
# Environment: VEOGEN_BUILD (veogen-runner, veogenctl; default .devstack/build),
# BENCH_PGPORT (the cluster's loopback port; default VEOGEN_PORT+40, VEOGEN_PORT 8080),
# BENCH_CACHE (node_modules of the graphile cells; default ~/.cache/veogen-bench),
# BENCH_CLIENTS (pgbench clients, 8), BENCH_PG_USER (the cluster's OS user when run as
# root: veogen-dev, else postgres; initdb refuses root), BENCH_KEEP=1 (keep the work
# directory with the logs), PGBIN (/usr/lib/postgresql/15/bin).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

die() {
	printf 'queue_drain: %s\n' "$*" >&2
	exit 2
}
say() { printf '%s\n' "$*"; }

jobs=200000
runs=3
smoke=0
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
		jobs=2000
		runs=1
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
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number, not $runs"

build=$(realpath -m -- "${VEOGEN_BUILD:-$top/.devstack/build}")
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
pgport=${BENCH_PGPORT:-$((${VEOGEN_PORT:-8080} + 40))}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/veogen-bench}
clients=${BENCH_CLIENTS:-8}
{ [ -x "$build/veogen-runner" ] && [ -x "$build/veogenctl" ]; } ||
	die "no veogen-runner/veogenctl in $build: build first and set VEOGEN_BUILD"
{ [ -x "$pgbin/initdb" ] && [ -x "$pgbin/pgbench" ]; } ||
	die "PostgreSQL 15 server binaries missing in $pgbin (apt-get install postgresql-15)"
command -v psql > /dev/null || die "psql is missing (apt-get install postgresql-client-15)"
if [ "$smoke" = 0 ]; then
	{ command -v node > /dev/null && command -v npm > /dev/null; } ||
		die "node and npm are needed for the graphile-worker cells (or use --smoke)"
fi

# PostgreSQL refuses root: as root the cluster belongs to an unprivileged user.
as_pg=()
pg_user=$(id -un)
if [ "$(id -u)" = 0 ]; then
	pg_user=${BENCH_PG_USER:-}
	if [ -z "$pg_user" ]; then
		for u in veogen-dev postgres; do
			if id -u "$u" > /dev/null 2>&1; then
				pg_user=$u
				break
			fi
		done
	fi
	{ [ -n "$pg_user" ] && id -u "$pg_user" > /dev/null 2>&1; } ||
		die "running as root: set BENCH_PG_USER to an unprivileged user for the cluster"
	as_pg=(runuser -u "$pg_user" --)
fi
if (exec 3<> "/dev/tcp/127.0.0.1/$pgport") 2> /dev/null; then
	die "127.0.0.1:$pgport is taken: set BENCH_PGPORT to a free port"
fi

work=$(mktemp -d /tmp/veogen-queue-drain.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/pg" "$work/storage" "$work/run"
[ ${#as_pg[@]} -eq 0 ] || chown "$pg_user" "$work/pg"
data=$work/pg/data
runner_pid=
pg_started=0
cleanup() {
	if [ -n "$runner_pid" ]; then
		kill "$runner_pid" 2> /dev/null || true
		wait "$runner_pid" 2> /dev/null || true
	fi
	if [ "$pg_started" = 1 ]; then
		"${as_pg[@]}" "$pgbin/pg_ctl" -D "$data" -m fast -w -s stop > /dev/null 2>&1 || true
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "queue_drain: logs kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the cluster: the settings of shared/research/bench/pg_up.sh, synchronous_commit on ----
"${as_pg[@]}" "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
	> "$work/initdb.log" 2>&1 || {
	cat "$work/initdb.log" >&2
	die "initdb failed"
}
cat >> "$data/postgresql.conf" << EOF
# --- queue_drain.sh: the same settings for every cell ---
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$work/pg'
max_connections = 200
shared_buffers = 512MB
synchronous_commit = on
fsync = on
log_min_messages = warning
EOF
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$data" -l "$work/pg/server.log" -w -t 60 -s start > /dev/null || {
	tail -20 "$work/pg/server.log" >&2
	die "PostgreSQL did not start"
}
pg_started=1
pg_master=$(head -1 "$data/postmaster.pid")
export PGHOST=127.0.0.1 PGPORT=$pgport PGUSER=postgres
q() { # q DB SQL: one value
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
fresh_db() {
	q postgres "DROP DATABASE IF EXISTS $1" > /dev/null
	q postgres "CREATE DATABASE $1" > /dev/null
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
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

# ---- graphile-worker into the cache (pinned by package-lock.json; never into the repo) ----
if [ "$smoke" = 0 ]; then
	mkdir -p "$cache"
	if ! cmp -s "$here/package-lock.json" "$cache/package-lock.json" ||
		[ ! -d "$cache/node_modules/graphile-worker" ]; then
		cp "$here/package.json" "$here/package-lock.json" "$cache/"
		(cd "$cache" && npm ci --no-audit --no-fund --loglevel=error > "$work/npm.log" 2>&1) || {
			cat "$work/npm.log" >&2
			die "npm ci in $cache failed"
		}
	fi
fi

# ---- veogen-runner: the shipped defaults, this cluster, noop allowed ----
cat > "$work/veogen.conf" << EOF
# queue_drain.sh: etc/veogen.conf defaults except where the bench must differ.
database: {
  conninfo = "host=127.0.0.1 port=$pgport dbname=veogen_bench user=postgres";
};
storage: {
  dir = "$work/storage";
};
runner: {
  name = "queue-drain";
  allow_noop = true;
};
runtime: {
  dir = "$work/run";
};
EOF
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
	q "$db" "INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, $jobs)" > /dev/null
	q "$db" "VACUUM ANALYZE jobs" > /dev/null
	q "$db" "CHECKPOINT" > /dev/null
	local ld pg0 pg1 cl=
	ld=$(load)
	pg0=$(tree_ticks "$pg_master")
	"$build/veogen-runner" -F -c "$work/veogen.conf" 2> "$work/runner-$run.log" &
	runner_pid=$!
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
		left=$(q "$db" "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'blocked')")
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
	kill "$runner_pid" 2> /dev/null || true
	wait "$runner_pid" 2> /dev/null || true
	runner_pid=
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
	if ! out=$(BENCH_PG_PID=$pg_master node "$here/gw_drain.js" "$cache" "postgres://postgres@127.0.0.1:$pgport/$db" \
		"$jobs" "$mode" 2> "$work/gw-$cell-$run.err"); then
		ok=FAILED
		failed=1
		cat "$work/gw-$cell-$run.err" >&2
	fi
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

timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f '%U %S' -o "$work/time.txt")

cells=(veogen)
[ "$smoke" = 1 ] || cells+=(gw-tuned gw-c24)
cells+=(ceil-b100 ceil-b1)
declare -A label=(
	[veogen]="veogen-runner ($runner_workers CPU workers, noop)"
	[gw-tuned]="graphile-worker c24 + localQueue 500 + batch"
	[gw-c24]="graphile-worker c24"
	[ceil-b100]="SQL ceiling, 100 per claim, $clients clients"
	[ceil-b1]="SQL ceiling, 1 per claim, $clients clients"
)

say "# queue_drain $(date -u +%Y-%m-%dT%H:%M:%SZ): N=$jobs, $runs run(s) per cell$([ "$smoke" = 1 ] && echo ', smoke')"
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
	say "veogen / graphile-worker tuned$what:   $(ratio "${med[veogen]}" "${med[gw-tuned]}")   (target >= 1.0)"
	say "veogen / graphile-worker c24$what:     $(ratio "${med[veogen]}" "${med[gw-c24]}")"
fi
say "veogen / SQL ceiling batched$what:     $(ratio "${med[veogen]}" "${med[ceil-b100]}")   (target >= 0.7)"
say "veogen / SQL ceiling unbatched$what:   $(ratio "${med[veogen]}" "${med[ceil-b1]}")"
say "# load $(load) at the end"
if [ "$failed" != 0 ]; then
	say "queue_drain: FAILED: a cell's check failed (see above)"
	exit 1
fi
say "queue_drain: every job of every cell done exactly once"
