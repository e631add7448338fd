#!/usr/bin/env bash
# scale_probe.sh [--quick] [--skip PART]...: the measurements behind "Scale on paper"
# (README.md in this directory): what one more connection, one more listener and one more
# job cost PostgreSQL, so that hosts per PostgreSQL can be computed rather than guessed.
# One private PostgreSQL 15 cluster (lib_cluster.sh, 127.0.0.1:VEOGEN_PORT+40 or
# BENCH_PGPORT) with pg_stat_statements and every autovacuum logged; stopped and deleted
# at exit.  Parts, each skippable:
#
#   mem        memory per backend (/proc/PID/smaps_rollup: RSS, PSS, its anonymous and
#              shared-memory parts, and USS = private pages) of an idle psql session, of
#              veogen-runner's six sessions after they drained N noop jobs, and (stack) of
#              the dev stack's veogen-fcgi sessions after they served GETs and POSTs; the
#              server's own count of each session's memory contexts
#              (pg_log_backend_memory_contexts).  The same drain, with autovacuum off on
#              jobs, counts dead tuples, updates, HOT updates and index bytes per job.
#   pgbouncer  veogen-runner (6 sessions) through PgBouncer (BENCH_PGBOUNCER or pgbouncer
#              on PATH; the part is skipped without one) with a pool of 2 server
#              connections in transaction mode, in transaction mode with
#              ignore_startup_parameters = options, and in session mode; and in session
#              mode with a pool of 8: how many of 300 noop jobs got done in 20 s and the
#              runner's first errors.
#   notify     pgbench -M prepared, 1/8/32 clients, veogen's enqueue statement
#              (VG_QUEUE_INSERT_CTE of src/vg_queue.h, compiled from the header) against the
#              same INSERT without the pg_notify, with 0/10/100 idle listeners on
#              veogen_jobs (one process holding the connections, draining what arrives),
#              and 100 listeners on another channel (veogen_users, the API's) at 8 clients:
#              tps, latency, PostgreSQL CPU per transaction, ratio to the plain insert.
#   vacuum     steady state: pgbench enqueues at BENCH_RATE jobs/s (the enqueue statement,
#              NOTIFY included) for BENCH_AV_SECONDS while veogen-runner drains them, on a
#              jobs table that already holds BENCH_BASE_ROWS finished jobs (a retention
#              window), three times: the migrations' own settings (scale factor 0.02) with
#              a REPEATABLE READ transaction held open in the database for the whole window
#              (a long report or pg_dump: nothing dead can be removed, by vacuum or by the
#              indexes' own clean-up), the same settings alone, and a fixed threshold
#              (scale factor 0, threshold BENCH_AV_THRESHOLD, cost delay 0).  Every 10 s:
#              the queue's backlog, dead tuples, the claim statement's buffers and time per
#              call and all statements' buffers per job (pg_stat_statements), autovacuum
#              runs; then claim statements per job by lane, each autovacuum of jobs from
#              the server log (tuples removed, elapsed) and the table's size.
#   stack      (needs the dev stack: contrib/devstack up; eval "$(contrib/devstack env)")
#              per video on the stack: BENCH_VIDEOS gemini videos (the stack's fake Google
#              API) from POST to succeeded, against an idle baseline of the same length:
#              commits, rows written, WAL bytes and PostgreSQL CPU per video; then the
#              fcgi sessions' memory for part mem.  Skipped when no stack answers.
#
# --quick: smaller everything (≈ 7 min instead of ≈ 15; autovacuum_naptime 15 s).
# Environment: VEOGEN_BUILD (default .devstack/build), BENCH_PGPORT (VEOGEN_PORT+40; the
# PgBouncer cell uses +44), BENCH_DURATION (s per pgbench cell, 10), BENCH_JOBS (mem's
# drain, 20000), BENCH_RATE (150), BENCH_AV_SECONDS (150), BENCH_BASE_ROWS (1500000),
# BENCH_AV_THRESHOLD (1000), BENCH_NAPTIME (autovacuum_naptime in s: 60, PostgreSQL's
# default), BENCH_VIDEOS (40), BENCH_PGBOUNCER, BENCH_PG_USER, PGBIN,
# BENCH_KEEP=1 (keep the work directory and the server log).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

die() {
	printf 'scale_probe: %s\n' "$*" >&2
	exit 2
}
say() { printf '%s\n' "$*"; }
# shellcheck source=tests/bench/lib_cluster.sh
. "$here/lib_cluster.sh"

quick=0
skip=" "
while [ $# -gt 0 ]; do
	case $1 in
	--quick)
		quick=1
		shift
		;;
	--skip)
		[ $# -ge 2 ] || die "--skip needs a part (mem pgbouncer notify vacuum stack)"
		case $2 in mem | pgbouncer | notify | vacuum | stack) ;; *) die "unknown part $2" ;; esac
		skip="$skip$2 "
		shift 2
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
want() { case $skip in *" $1 "*) return 1 ;; *) return 0 ;; esac }

if [ "$quick" = 1 ]; then
	dur=${BENCH_DURATION:-4}
	drain_n=${BENCH_JOBS:-2000}
	av_secs=${BENCH_AV_SECONDS:-60}
	av_base=${BENCH_BASE_ROWS:-200000}
	naptime=${BENCH_NAPTIME:-15}
	videos=${BENCH_VIDEOS:-10}
else
	dur=${BENCH_DURATION:-10}
	drain_n=${BENCH_JOBS:-20000}
	av_secs=${BENCH_AV_SECONDS:-150}
	av_base=${BENCH_BASE_ROWS:-1500000}
	naptime=${BENCH_NAPTIME:-60}
	videos=${BENCH_VIDEOS:-40}
fi
av_rate=${BENCH_RATE:-150}
av_threshold=${BENCH_AV_THRESHOLD:-1000}
for v in dur drain_n av_secs av_base videos av_rate av_threshold naptime; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive number, not ${!v}"
done

build=$(realpath -m -- "${VEOGEN_BUILD:-$top/.devstack/build}")
pgport=${BENCH_PGPORT:-$((${VEOGEN_PORT:-8080} + 40))}
pgb_port=$((pgport + 4))
pgbouncer=${BENCH_PGBOUNCER:-$(command -v pgbouncer || true)}
{ [ -x "$build/veogen-runner" ] && [ -x "$build/veogenctl" ]; } ||
	die "no veogen-runner/veogenctl in $build: build first and set VEOGEN_BUILD"
cluster_check "$pgport"
[ -x "$pgbin/pgbench" ] || die "pgbench missing in $pgbin (apt-get install postgresql-15)"
command -v cc > /dev/null || die "cc is needed (the listener and the enqueue statement are compiled)"
[ -r /proc/self/smaps_rollup ] || die "this kernel has no /proc/PID/smaps_rollup"

work=$(mktemp -d /tmp/veogen-scale-probe.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/storage" "$work/run"
runner_pid=
listener_pid=
gen_pid=
snap_pid=
stq_pid=
pgb_pidfile=$work/pgb/pgbouncer.pid
cleanup() {
	local p
	for p in "$gen_pid" "$listener_pid" "$runner_pid" "$snap_pid" "$stq_pid"; do
		[ -z "$p" ] || kill "$p" 2> /dev/null || true
	done
	for p in "$gen_pid" "$listener_pid" "$runner_pid" "$snap_pid" "$stq_pid"; do
		[ -z "$p" ] || wait "$p" 2> /dev/null || true
	done
	if [ -s "$pgb_pidfile" ]; then kill "$(cat "$pgb_pidfile")" 2> /dev/null || true; fi
	exec 7>&- 2> /dev/null || true
	cluster_stop
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "scale_probe: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hz=$(getconf CLK_TCK)
q() { # q DB SQL: the rows, unaligned, | between columns
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
# tree_ticks PID: CPU ticks of PID and its children, exited ones included (queue_drain.sh)
tree_ticks() {
	{ cat /proc/[0-9]*/stat 2> /dev/null || true; } | awk -v p="$1" '
		{ r = substr($0, index($0, ") ") + 2); split(r, f, " ")
		  if ($1 == p || f[2] == p) t += f[12] + f[13] + f[14] + f[15] }
		END { print t + 0 }'
}
# mem PID: "RSS PSS PSS_anon PSS_shmem USS PTE" in KiB (USS = private clean + private
# dirty; PTE = its page tables, which grow with the shared buffers it has touched)
mem() {
	awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Pss_Anon:/ { a = $2 } /^Pss_Shmem:/ { s = $2 }
		/^Private_(Clean|Dirty):/ { u += $2 } /^VmPTE:/ { t = $2 }
		END { printf "%d %d %d %d %d %d", r, p, a, s, u, t }' \
		"/proc/$1/smaps_rollup" "/proc/$1/status" 2> /dev/null || printf '? ? ? ? ? ?'
}
mem_row() { # mem_row LABEL PID [CONTEXT_BYTES]
	local m
	m=$(mem "$2")
	# shellcheck disable=SC2086 # six numbers
	set -- "$1" "$2" "${3:-?}" $m
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$4" "$5" "$6" "$7" "$8" "$9" "$3"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# ---- the cluster ----
cluster_start "$work/pg" "$pgport" scale_probe.sh "shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top
pg_stat_statements.max = 5000
log_min_messages = log
log_checkpoints = off
log_autovacuum_min_duration = 0
autovacuum_naptime = ${naptime}s"
pg_master=$(head -1 "$cluster_data/postmaster.pid")
server_log=$work/pg/server.log
q template1 "CREATE EXTENSION pg_stat_statements" > /dev/null

# mkdb NAME: a database migrated by veogenctl and a runner config for it ($work/NAME.conf)
mkdb() {
	q postgres "DROP DATABASE IF EXISTS $1" > /dev/null
	q postgres "CREATE DATABASE $1" > /dev/null
	runner_conf "$work/$1.conf" "host=127.0.0.1 port=$pgport dbname=$1 user=postgres" "probe-$1" "$work" scale_probe.sh
	"$build/veogenctl" -c "$work/$1.conf" migrate --dir "$top/sql" >> "$work/migrate.log" 2>&1 || {
		tail -20 "$work/migrate.log" >&2
		die "veogenctl migrate failed on $1"
	}
}
# runner_start CONF DB: veogen-runner with CONF; waits until its six sessions are connected
# (on DB, or on any database when DB is empty)
runner_start() {
	"$build/veogen-runner" -F -c "$1" 2>> "$work/runner.log" &
	runner_pid=$!
	runner_sessions() {
		local where="application_name LIKE 'veogen-runner%'"
		[ -z "$1" ] || where="$where AND datname = '$1'"
		[ "$(q postgres "SELECT count(*) FROM pg_stat_activity WHERE $where")" -ge 6 ]
	}
	wait_for 20 runner_sessions "$2" || say "(the runner did not open its six sessions within 20 s)"
}
runner_stop() {
	[ -n "$runner_pid" ] || return 0
	kill "$runner_pid" 2> /dev/null || true
	wait "$runner_pid" 2> /dev/null || true
	runner_pid=
}
# context_bytes PID: the server's own total of that backend's memory contexts
context_bytes() {
	local before
	before=$(wc -l < "$server_log")
	q postgres "SELECT pg_log_backend_memory_contexts($1)" > /dev/null || {
		printf '?'
		return
	}
	sleep 0.5
	tail -n +"$((before + 1))" "$server_log" | awk -v p="[$1]" '
		index($0, p) && /Grand total:/ { for (i = 1; i <= NF; i++) if ($i == "total:") v = $(i + 1) }
		END { if (v == "") print "?"; else printf "%d", v / 1024 }'
}

conf_default() { # conf_default GROUP KEY: the value in etc/veogen.conf
	awk -v g="$1" -v k="$2" '$1 == g ":" || $1 == g && $2 == ":" { in_g = 1; next }
		in_g && /^};/ { in_g = 0 } in_g && $1 == k && $2 == "=" { v = $3; sub(/;.*/, "", v); print v; exit }' \
		"$top/etc/veogen.conf"
}

say "# scale_probe $(date -u +%Y-%m-%dT%H:%M:%SZ): $(nproc) cores, load $(load)$([ "$quick" = 1 ] && printf ', --quick')"
say "# $("$pgbin/postgres" --version), private cluster 127.0.0.1:$pgport: max_connections 200 and" \
	"shared_buffers 512MB (lib_cluster.sh), synchronous_commit on, fsync on, autovacuum_naptime ${naptime} s"
say "# PostgreSQL's defaults: max_connections $(q postgres "SELECT boot_val FROM pg_settings WHERE name = 'max_connections'")," \
	"shared_buffers $(q postgres "SELECT boot_val::int * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'") MB," \
	"autovacuum_naptime $(q postgres "SELECT boot_val FROM pg_settings WHERE name = 'autovacuum_naptime'") s," \
	"autovacuum_vacuum_cost_delay $(q postgres "SELECT boot_val FROM pg_settings WHERE name = 'autovacuum_vacuum_cost_delay'") ms," \
	"vacuum_cost_limit $(q postgres "SELECT boot_val FROM pg_settings WHERE name = 'vacuum_cost_limit'")"
fw=$(conf_default fcgi workers)
rw=$(conf_default runner workers)
rr=$(conf_default runner remote_workers)
rh=$(conf_default runner webhook_workers)
say "# sessions per host (etc/veogen.conf defaults): API host fcgi.workers = $fw;" \
	"runner host 1 master + $rw CPU + $rr remote + $rh webhook = $((1 + rw + rr + rh))"

stack=0
if want stack && [ -n "${VEOGEN_BASE_URL:-}" ] && [ -n "${VEOGEN_DB_CONNINFO:-}" ] &&
	curl -fsS -o /dev/null --max-time 3 "$VEOGEN_BASE_URL/healthz" 2> /dev/null; then
	stack=1
elif want stack; then
	say "# no dev stack answers (VEOGEN_BASE_URL, VEOGEN_DB_CONNINFO): the stack parts are skipped"
fi
sq() { # sq SQL: a query on the stack's database
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 "$VEOGEN_DB_CONNINFO" -c "$1"
}

# ================================================================ (a) memory
if want mem; then
	say ""
	say "## (a) memory per backend ($drain_n noop jobs drained by veogen-runner first; load $(load))"
	mkdb mem
	q mem "ALTER TABLE jobs SET (autovacuum_enabled = false)"
	q mem "INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, $drain_n)"
	q mem "VACUUM ANALYZE jobs"
	size_sql="SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND (c.relname = 'jobs' OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'jobs'::regclass)) ORDER BY 1"
	q mem "$size_sql" > "$work/size0"
	mkfifo "$work/idle.fifo"
	exec 7<> "$work/idle.fifo"
	PGAPPNAME=probe-idle psql -X -q -d mem -f "$work/idle.fifo" > /dev/null 2>&1 7>&- &
	idle_psql=$!
	idle_pid() { q postgres "SELECT pid FROM pg_stat_activity WHERE application_name = 'probe-idle'" | grep .; }
	wait_for 10 idle_pid > /dev/null || die "the idle psql session did not connect"
	t0=$SECONDS
	runner_start "$work/mem.conf" mem
	all_done() { [ "$(q mem "SELECT count(*) FROM jobs WHERE state = 'succeeded'")" = "$drain_n" ]; }
	wait_for 900 all_done || die "the runner did not finish $drain_n noop jobs in 900 s"
	say "drained in $((SECONDS - t0)) s"
	say ""
	say "| session | pid | RSS KiB | PSS KiB | PSS anon KiB | PSS shmem KiB | USS KiB | page tables KiB | memory contexts KiB |"
	say "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	p=$(idle_pid)
	mem_row "psql, idle (connected, nothing run)" "$p" "$(context_bytes "$p")"
	while IFS='|' read -r p app; do
		mem_row "$app (after the drain)" "$p" "$(context_bytes "$p")"
	done < <(q postgres "SELECT pid, application_name FROM pg_stat_activity WHERE datname = 'mem'
		AND application_name LIKE 'veogen-runner%' ORDER BY application_name DESC, pid")
	printf 'SELECT count(*) FROM jobs;\n' >&7
	sleep 0.5
	p=$(idle_pid)
	mem_row "psql, after one SELECT on jobs" "$p" "$(context_bytes "$p")"
	runner_stop
	exec 7>&-
	wait "$idle_psql" || true
	sleep 1.5 # the sessions' statistics are flushed when they exit
	say ""
	say "writes per job ($drain_n noop jobs, autovacuum off on jobs):"
	q mem "SELECT 'updates ' || round(n_tup_upd::numeric / $drain_n, 2) || ', HOT ' || round(n_tup_hot_upd::numeric / $drain_n, 2)
		|| ', dead tuples ' || round(n_dead_tup::numeric / $drain_n, 2) FROM pg_stat_user_tables WHERE relname = 'jobs'"
	q mem "$size_sql" > "$work/size1"
	LC_ALL=C join -t '|' "$work/size0" "$work/size1" | awk -F'|' -v n="$drain_n" '
		{ printf "  %s: %d → %d KiB, %.0f bytes per job\n", $1, $2 / 1024, $3 / 1024, ($3 - $2) / n }'
fi

# ================================================================ stack: per video, fcgi memory
if [ "$stack" = 1 ]; then
	say ""
	say "## per video on the dev stack ($VEOGEN_BASE_URL; $videos gemini videos through the stack's fake; load $(load))"
	command -v wrk > /dev/null || die "wrk is needed for the stack part (apt-get install wrk) or --skip stack"
	# the stack's postmaster: the first line of its socket's lock file
	st_master=
	st_lock=${VEOGEN_PG_HOST:-}/.s.PGSQL.${VEOGEN_PG_PORT:-5432}.lock
	[ ! -r "$st_lock" ] || st_master=$(head -1 "$st_lock")
	[ -n "$st_master" ] || say "(the stack's postmaster was not found through $st_lock: no CPU figure)"
	email="scale-$(date +%s)-$$@example.com"
	password="scale-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	reg=$(curl -fsS -H 'Content-Type: application/json' \
		-d "{\"email\":\"$email\",\"password\":\"$password\"}" "$VEOGEN_BASE_URL/api/v1/auth/register") ||
		die "POST /api/v1/auth/register failed"
	token=$(printf '%s' "$reg" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
	[ -n "$token" ] || die "no access_token in the register answer"
	uid=$(sq "SELECT id FROM users WHERE email = '$email'")
	snap_sql="SELECT d.xact_commit, d.tup_inserted, d.tup_updated, d.tup_deleted, d.blks_hit + d.blks_read,
		(SELECT wal_bytes FROM pg_stat_wal), (SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'jobs'),
		(SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'jobs'),
		(SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'videos'),
		(SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'videos')
		FROM pg_stat_database d WHERE d.datname = current_database()"
	# one session for every query of the measurement (a connection per query would cost a
	# backend start each); its own commits are counted and taken off
	coproc STQ { PGOPTIONS='-c client_min_messages=warning' psql -X -q -At "$VEOGEN_DB_CONNINFO" 2>&1; }
	# shellcheck disable=SC2153 # STQ_PID is set by coproc
	stq_pid=$STQ_PID
	own=0
	cq() { # cq SQL: one statement on that session; the result in cq_out
		local line
		cq_out=
		own=$((own + 1))
		printf '%s;\n\\echo __end__\n' "$1" >&"${STQ[1]}"
		while IFS= read -r line <&"${STQ[0]}"; do
			[ "$line" != __end__ ] || return 0
			cq_out+=${cq_out:+$'\n'}$line
		done
		die "the stack's psql session ended"
	}
	snap() { # the counters, the stack's PostgreSQL CPU ticks, the time, our own statements so far
		cq "$snap_sql"
		snap_out="$cq_out|$([ -n "$st_master" ] && tree_ticks "$st_master" || echo 0)|$SECONDS|$own"
	}
	# the stack idle for 15 s (its runner's master and idle lanes), then the batch
	sleep 11
	snap
	s0=$snap_out
	sleep 15
	snap
	s1=$snap_out
	# in batches of 10: limits.max_active_jobs_per_user is 20 by default
	for ((sent = 0; sent < videos; )); do
		for ((i = 0; i < 10 && sent < videos; i++, sent++)); do
			curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
				-d '{"prompt":"scale probe: a lighthouse at dusk","duration_seconds":4,"provider":"gemini"}' \
				"$VEOGEN_BASE_URL/api/v1/videos" || die "POST /api/v1/videos (gemini) failed"
		done
		for ((i = 0; ; i++)); do
			cq "SELECT count(*) FROM videos WHERE user_id = '$uid' AND status IN ('succeeded', 'failed', 'cancelled')"
			[ "$cq_out" != "$sent" ] || break
			[ "$i" -lt 600 ] || die "the stack did not finish $sent videos in 600 s"
			sleep 1
		done
	done
	sleep 11 # idle sessions flush their statistics within 10 s
	snap
	s2=$snap_out
	printf '\\q\n' >&"${STQ[1]}"
	wait "$stq_pid" || true
	say "$(sq "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM videos WHERE user_id = '$uid' GROUP BY 1) s")"
	say ""
	say "| per video (POST, every runner step, webhooks none; idle baseline subtracted) | value |"
	say "|---|---:|"
	printf '%s\n%s\n%s\n' "$s0" "$s1" "$s2" | awk -F'|' -v n="$videos" -v hz="$hz" '
		{ for (i = 1; i <= NF; i++) v[NR, i] = $i }
		END {
			idle = v[2, 12] - v[1, 12]; busy = v[3, 12] - v[2, 12]
			# our own statements, one commit each
			v[2, 1] -= v[2, 13] - v[1, 13]; v[3, 1] -= v[3, 13] - v[1, 13]
			split("commits|rows inserted|rows updated|rows deleted|shared buffers touched|WAL bytes|jobs updates|jobs HOT updates|videos updates|videos HOT updates|PostgreSQL CPU (µs)", name, "|")
			for (i = 1; i <= 11; i++) {
				b = (v[2, i] - v[1, i]) / idle
				x = (v[3, i] - v[2, i]) - b * busy
				if (i == 11) x = x * 1e6 / hz
				printf "| %s | %.1f |\n", name[i], x / n
			}
			printf "| (window %d s, idle baseline %d s) | |\n", busy, idle
		}'
	# fcgi sessions: after GETs and the POSTs above
	vid=$(sq "SELECT id FROM videos WHERE user_id = '$uid' AND status = 'succeeded' LIMIT 1")
	[ -n "$vid" ] || die "no succeeded video to read"
	wrk -t2 -c8 -d5s -H "Authorization: Bearer $token" "$VEOGEN_BASE_URL/api/v1/videos/$vid" > "$work/wrk.out" 2>&1 ||
		die "wrk failed: $(cat "$work/wrk.out")"
	wrk -t2 -c8 -d2s -H "Authorization: Bearer $token" "$VEOGEN_BASE_URL/api/v1/videos?limit=20" > "$work/wrk2.out" 2>&1 || true
	say ""
	say "fcgi sessions after $(awk '/requests in/ { print $1 }' "$work/wrk.out") GETs of a video, the list and $videos POSTs (stack's cluster: $(sq "SHOW shared_buffers"))"
	say ""
	say "| session | pid | RSS KiB | PSS KiB | PSS anon KiB | PSS shmem KiB | USS KiB | page tables KiB | memory contexts KiB |"
	say "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	while IFS='|' read -r p app; do
		mem_row "$app (stack)" "$p" "?"
	done < <(sq "SELECT pid, application_name FROM pg_stat_activity WHERE application_name IN ('veogen-fcgi', 'veogen-runner', 'veogen-runner-master') ORDER BY 2, 1")
fi

# ================================================================ pgbouncer
if want pgbouncer; then
	say ""
	if [ -z "$pgbouncer" ] || [ ! -x "$pgbouncer" ]; then
		say "## pgbouncer: skipped (no pgbouncer: apt-get install pgbouncer, or BENCH_PGBOUNCER=PATH)"
	else
		say "## veogen-runner (6 sessions) through PgBouncer ($("$pgbouncer" --version 2>&1 | head -1); load $(load))"
		mkdb pgb
		mkdir -p "$work/pgb"
		[ ${#as_pg[@]} -eq 0 ] || chown "$pg_user" "$work/pgb"
		printf '"postgres" ""\n' > "$work/pgb/users.txt"
		say ""
		say "| pool_mode | server connections | ignore_startup_parameters | jobs done of 300 in 20 s | first errors in the runner's log |"
		say "|---|---:|---|---:|---|"
		for cell in "transaction|2|" "transaction|2|options" "session|2|options" "session|8|options"; do
			IFS='|' read -r mode pool ign <<< "$cell"
			cat > "$work/pgb/pgbouncer.ini" << EOF
[databases]
pgb = host=127.0.0.1 port=$pgport dbname=pgb user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pgb_port
unix_socket_dir =
auth_type = trust
auth_file = $work/pgb/users.txt
pool_mode = $mode
default_pool_size = $pool
max_client_conn = 100
ignore_startup_parameters = $ign
logfile = $work/pgb/pgbouncer.log
pidfile = $pgb_pidfile
EOF
			"${as_pg[@]}" "$pgbouncer" -d "$work/pgb/pgbouncer.ini" > /dev/null 2>&1 || die "pgbouncer did not start: $(tail -3 "$work/pgb/pgbouncer.log")"
			pgb_up() { (exec 3<> "/dev/tcp/127.0.0.1/$pgb_port") 2> /dev/null; }
			wait_for 10 pgb_up || die "pgbouncer does not listen on $pgb_port"
			q pgb "TRUNCATE jobs CASCADE; INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, 300)"
			runner_conf "$work/pgb-runner.conf" "host=127.0.0.1 port=$pgb_port dbname=pgb user=postgres" probe-pgb "$work" scale_probe.sh
			: > "$work/runner.log"
			"$build/veogen-runner" -F -c "$work/pgb-runner.conf" 2>> "$work/runner.log" &
			runner_pid=$!
			pgb_done() { [ "$(q pgb "SELECT count(*) FROM jobs WHERE state = 'succeeded'")" = 300 ]; }
			wait_for 20 pgb_done || true
			n=$(q pgb "SELECT count(*) FROM jobs WHERE state = 'succeeded'")
			runner_stop
			errs=$({ grep -iE 'error|fatal|warn|cannot|failed' "$work/runner.log" || true; } | { grep -v allow_noop || true; } | sed -E 's/^.*(msg|message)=//; s/[0-9a-f]{8}-[0-9a-f-]{27}/UUID/g' |
				cut -c1-140 | awk '!seen[$0]++' | head -2 | tr '\n' ' ' | sed 's/|/\\|/g')
			say "| $mode | $pool | ${ign:-(none)} | $n | ${errs:-none} |"
			kill "$(cat "$pgb_pidfile")" 2> /dev/null || true
			pgb_down() { ! pgb_up; }
			wait_for 10 pgb_down || die "pgbouncer did not stop"
		done
	fi
fi

# ================================================================ (b) NOTIFY
if want notify; then
	say ""
	say "## (b) NOTIFY: veogen's enqueue statement with and without pg_notify (pgbench -M prepared, $dur s per cell)"
	# the statement, verbatim from the header
	cat > "$work/enq.c" << 'EOF'
#include <stdio.h>
#include "vg_queue.h"
int main(void)
{
	puts("WITH " VG_QUEUE_INSERT_CTE(":kind", ":payload", ":prio", ":maxatt") " SELECT job.id FROM job, job_notify;");
	return 0;
}
EOF
	cc -I"$top/src" -I"$build" -I/usr/include/postgresql -o "$work/enq" "$work/enq.c" ||
		die "cannot compile src/vg_queue.h's VG_QUEUE_INSERT_CTE"
	"$work/enq" > "$work/notify.sql"
	enq=$(cat "$work/notify.sql")
	printf '%s SELECT job.id FROM job;\n' "${enq%%, job_notify AS*}" > "$work/plain.sql"
	if ! grep -q pg_notify "$work/notify.sql" || grep -q pg_notify "$work/plain.sql"; then
		die "cannot split the enqueue statement"
	fi
	say "notify: $(cat "$work/notify.sql")"
	say "plain:  $(cat "$work/plain.sql")"
	cat > "$work/listen.c" << 'EOF'
/* listen CONNINFO N CHANNEL: N sessions LISTEN on CHANNEL and drain what arrives, as an
 * idle runner worker does; prints "ready", then at TERM the notifications received. */
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }
int main(int argc, char **argv)
{
	int n = argc == 4 ? atoi(argv[2]) : 0;
	char sql[256];
	long long got = 0;
	if (n <= 0) return 2;
	PGconn **c = calloc((size_t)n, sizeof *c);
	struct pollfd *p = calloc((size_t)n, sizeof *p);
	snprintf(sql, sizeof sql, "LISTEN %s", argv[3]);
	signal(SIGTERM, on_term);
	for (int i = 0; i < n; i++) {
		c[i] = PQconnectdb(argv[1]);
		PGresult *r = PQstatus(c[i]) == CONNECTION_OK ? PQexec(c[i], sql) : NULL;
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "listen: %s", PQerrorMessage(c[i]));
			return 1;
		}
		PQclear(r);
		p[i].fd = PQsocket(c[i]);
		p[i].events = POLLIN;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (poll(p, (nfds_t)n, 200) <= 0) continue;
		for (int i = 0; i < n; i++) {
			PGnotify *m;
			if (!p[i].revents) continue;
			PQconsumeInput(c[i]);
			while ((m = PQnotifies(c[i]))) { got++; PQfreemem(m); }
		}
	}
	printf("%lld\n", got);
	return 0;
}
EOF
	cc -O2 -I/usr/include/postgresql -o "$work/listen" "$work/listen.c" -lpq || die "cannot compile the listener"
	mkdb nfy
	listeners_start() { # N CHANNEL
		"$work/listen" "host=127.0.0.1 port=$pgport dbname=nfy user=postgres application_name=probe-listen" "$1" "$2" > "$work/listen.out" &
		listener_pid=$!
		lready() { grep -q ready "$work/listen.out"; }
		wait_for 30 lready || die "the listeners did not connect"
	}
	listeners_stop() { # prints the notifications received
		kill "$listener_pid"
		wait "$listener_pid" || true
		listener_pid=
		tail -1 "$work/listen.out"
	}
	declare -A plain_tps=()
	say ""
	say "| listeners | clients | statement | load | tps | latency avg ms | PostgreSQL CPU µs/txn | tps / plain | notifications received (all the row's cells) |"
	say "|---|---:|---|---|---:|---:|---:|---:|---:|"
	cell() { # LISTENERS CLIENTS KIND: one row "listeners|clients|kind|load|tps|latency|cpu"
		local c=$2 kind=$3 j=1 t0 t1 out=$work/pgbench.out tps lat n ld
		[ "$c" -lt 2 ] || j=2
		q nfy "TRUNCATE jobs CASCADE" > /dev/null
		q nfy "CHECKPOINT" > /dev/null
		ld=$(cut -d' ' -f1 /proc/loadavg)
		t0=$(tree_ticks "$pg_master")
		"$pgbin/pgbench" -n -M prepared -c "$c" -j "$j" -T "$dur" -f "$work/$kind.sql" \
			-D kind=noop -D payload='{}' -D prio=100 -D maxatt=5 \
			"host=127.0.0.1 port=$pgport dbname=nfy user=postgres" > "$out" 2>&1 || die "pgbench failed: $(tail -3 "$out")"
		t1=$(tree_ticks "$pg_master")
		tps=$(awk '/^tps = / { printf "%.0f", $3 }' "$out")
		lat=$(awk '/^latency average/ { print $4 }' "$out")
		n=$(awk '/actually processed:/ { print $NF }' "$out")
		printf '%s|%s|%s|%s|%s|%s|%s\n' "$1" "$c" "$kind" "$ld" "$tps" "$lat" \
			"$(awk -v t=$((t1 - t0)) -v n="$n" -v hz="$hz" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')"
	}
	# print_rows RECEIVED ROW...: the rows with the ratio to the plain insert at the same clients
	print_rows() {
		local got=$1 r a b k d e f g h
		shift
		for r in "$@"; do
			IFS='|' read -r a b k d e f g <<< "$r"
			[ "$k" != plain ] || plain_tps[$b]=$e
			h=$(awk -v x="$e" -v y="${plain_tps[$b]:-0}" 'BEGIN { if (y > 0) printf "%.2f", x / y }')
			say "| $a | $b | $k | $d | $e | $f | $g | $h | $([ "$k" = notify ] && printf '%s' "$got") |"
		done
	}
	for l in 0 10 100; do
		[ "$l" = 0 ] || listeners_start "$l" veogen_jobs
		rows=()
		for c in 1 8 32; do
			[ "$l" != 0 ] || rows+=("$(cell "$l on veogen_jobs" "$c" plain)")
			rows+=("$(cell "$l on veogen_jobs" "$c" notify)")
		done
		got=0
		[ "$l" = 0 ] || got=$(listeners_stop)
		print_rows "$got" "${rows[@]}"
	done
	listeners_start 100 veogen_users
	r=$(cell "100 on veogen_users" 8 notify)
	print_rows "$(listeners_stop)" "$r"
fi

# ================================================================ (c) vacuum
if want vacuum; then
	say ""
	say "## (c) autovacuum on jobs: $av_rate jobs/s enqueued for $av_secs s (NOTIFY included), veogen-runner draining, on $av_base finished jobs"
	mkdb avbase
	t=$SECONDS
	q avbase "INSERT INTO jobs (kind, state, step, attempt, payload, run_at, created_at, started_at, finished_at)
		SELECT 'noop', 'succeeded', 'start', 1, '{}', t, t, t, t
		FROM (SELECT now() - interval '7 days' + g * (interval '7 days' - interval '1 hour') / $av_base AS t
		      FROM generate_series(1, $av_base) g) s"
	q avbase "VACUUM (FREEZE, ANALYZE) jobs"
	q avbase "CHECKPOINT"
	say "base loaded in $((SECONDS - t)) s: jobs $(q avbase "SELECT pg_size_pretty(pg_relation_size('jobs')) || ' heap, ' || pg_size_pretty(pg_indexes_size('jobs')) || ' indexes'")"
	if [ ! -s "$work/notify.sql" ]; then
		printf '#include <stdio.h>\n#include "vg_queue.h"\nint main(void) { puts("WITH " VG_QUEUE_INSERT_CTE(":kind", ":payload", ":prio", ":maxatt") " SELECT job.id FROM job, job_notify;"); return 0; }\n' > "$work/enq.c"
		cc -I"$top/src" -I"$build" -I/usr/include/postgresql -o "$work/enq" "$work/enq.c" || die "cannot compile the enqueue statement"
		"$work/enq" > "$work/notify.sql"
	fi
	step=10
	[ "$quick" = 0 ] || step=5
	mkfifo "$work/snap.fifo"
	for cfg in snapshot shipped fixed; do
		db=av_$cfg
		q postgres "DROP DATABASE IF EXISTS $db" > /dev/null
		q postgres "CREATE DATABASE $db TEMPLATE avbase STRATEGY FILE_COPY" > /dev/null
		runner_conf "$work/$db.conf" "host=127.0.0.1 port=$pgport dbname=$db user=postgres" "probe-$db" "$work" scale_probe.sh
		case $cfg in
		fixed) q "$db" "ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = $av_threshold, autovacuum_vacuum_cost_delay = 0)" ;;
		esac
		say ""
		say "### $cfg: jobs reloptions $(q "$db" "SELECT coalesce(array_to_string(reloptions, ', '), '(none)') FROM pg_class WHERE relname = 'jobs'");" \
			"autovacuum threshold $(q "$db" "SELECT round(coalesce((SELECT split_part(o, '=', 2)::numeric FROM unnest(reloptions) o WHERE o LIKE 'autovacuum_vacuum_threshold=%'), 50)
				+ coalesce((SELECT split_part(o, '=', 2)::numeric FROM unnest(reloptions) o WHERE o LIKE 'autovacuum_vacuum_scale_factor=%'), 0.2) * reltuples)::text || ' dead tuples' FROM pg_class WHERE relname = 'jobs'"); load $(load)"
		if [ "$cfg" = snapshot ]; then
			exec 8<> "$work/snap.fifo"
			PGAPPNAME=probe-snapshot psql -X -q -d "$db" -f "$work/snap.fifo" > /dev/null 2>&1 8>&- &
			snap_pid=$!
			printf 'BEGIN ISOLATION LEVEL REPEATABLE READ;\nSELECT count(*) FROM pg_class;\n' >&8
			snap_held() { [ -n "$(q postgres "SELECT backend_xmin FROM pg_stat_activity WHERE application_name = 'probe-snapshot'")" ]; }
			wait_for 10 snap_held || die "the REPEATABLE READ session holds no snapshot"
			say "a REPEATABLE READ transaction is held open in $db for the whole window"
		fi
		q "$db" "SELECT pg_stat_statements_reset()" > /dev/null
		tstart=$(q "$db" "SELECT now()")
		log_from=$(wc -l < "$server_log")
		runner_start "$work/$db.conf" "$db"
		"$pgbin/pgbench" -n -M prepared -c 2 -j 1 -R "$av_rate" -T "$av_secs" -f "$work/notify.sql" \
			-D kind=noop -D payload='{}' -D prio=100 -D maxatt=5 \
			"host=127.0.0.1 port=$pgport dbname=$db user=postgres" > "$work/gen.out" 2>&1 &
		gen_pid=$!
		say ""
		say "| t s | enqueued (statistics: lag ≤ 1 s) | done | queued now | n_dead_tup | dead / job done | autovacuums | claim calls | claim buffers / call | claim µs / call | all statements' buffers / job | load |"
		say "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		# one sample: the counters and the claim statement's (the SKIP LOCKED one that claimed most)
		sample_sql="/* probe */ SELECT (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'jobs'),
			(SELECT count(*) FROM jobs WHERE finished_at >= '$tstart'),
			(SELECT count(*) FROM jobs WHERE state = 'queued'),
			(SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'jobs'),
			(SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'jobs'),
			coalesce((SELECT calls || '|' || (shared_blks_hit + shared_blks_read) || '|' || total_exec_time FROM pg_stat_statements
				WHERE query LIKE '%SKIP LOCKED%' AND query LIKE '%attempt = j.attempt +%'
				AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
				ORDER BY rows DESC LIMIT 1), '0|0|0'),
			(SELECT sum(shared_blks_hit + shared_blks_read) FROM pg_stat_statements WHERE query NOT LIKE '/* probe */%'
				AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database()))"
		prev="0|0|0|0|0|0|0|0|0"
		t0=$SECONDS
		next=$step
		running=1
		while :; do
			sleep $((t0 + next - SECONDS > 0 ? t0 + next - SECONDS : 0))
			kill -0 "$gen_pid" 2> /dev/null || running=0
			cur=$(q "$db" "$sample_sql")
			printf '%s\n%s\n' "$prev" "$cur" | awk -F'|' -v t="$((SECONDS - t0))" -v ld="$(cut -d' ' -f1 /proc/loadavg)" '
				NR == 1 { for (i = 1; i <= NF; i++) p[i] = $i; next }
				{ calls = $6 - p[6]; done = $2 - p[2]
				  printf "| %d | %d | %d | %d | %d | %s | %d | %d | %s | %s | %s | %s |\n", t, $1, $2, $3, $4,
					($2 > 0 ? sprintf("%.2f", $4 / $2) : "-"), $5, calls,
					(calls > 0 ? sprintf("%.1f", ($7 - p[7]) / calls) : "-"),
					(calls > 0 ? sprintf("%.0f", ($8 - p[8]) * 1000 / calls) : "-"),
					(done > 0 ? sprintf("%.1f", ($9 - p[9]) / done) : "-"), ld }'
			prev=$cur
			if [ "$running" = 0 ]; then
				backlog=$(printf '%s' "$cur" | cut -d'|' -f3)
				[ "$backlog" -gt 0 ] || break
				[ $((SECONDS - t0)) -lt $((av_secs + 60)) ] || {
					say "(a backlog of $backlog jobs was left after the generator stopped: the runner did not keep up)"
					break
				}
			fi
			next=$((next + step))
		done
		wait "$gen_pid" || true
		gen_pid=
		say "generator: $(awk '/^tps = / { printf "%.1f tps", $3 }' "$work/gen.out"), enqueue latency $(awk '/latency average/ { print $4 }' "$work/gen.out") ms"
		runner_stop
		say ""
		say "statements per job done over the window (pg_stat_statements; constants shown as \$n), the 6 that touched most buffers:"
		say ""
		say "| statement | calls / job | rows / call | buffers / call | buffers / job | µs / call |"
		say "|---|---:|---:|---:|---:|---:|"
		q "$db" "/* probe */ SELECT '| ' || CASE WHEN query LIKE '%SKIP LOCKED%' AND query LIKE '%attempt = j.attempt +%' THEN 'claim, '
				|| CASE WHEN query LIKE '%NOT LIKE%' THEN 'CPU lane' WHEN query LIKE '%step LIKE%' THEN 'remote lane'
				WHEN query LIKE '%kind = $%' THEN 'webhook lane' ELSE '?' END || ': ' ELSE '' END
				|| replace(left(regexp_replace(query, '\s+', ' ', 'g'), 70), '|', '/') || '… | '
				|| round(calls::numeric / n, 2) || ' | ' || round(rows::numeric / greatest(calls, 1), 2) || ' | '
				|| round((shared_blks_hit + shared_blks_read)::numeric / greatest(calls, 1), 1) || ' | '
				|| round((shared_blks_hit + shared_blks_read)::numeric / n, 1) || ' | '
				|| round((total_exec_time * 1000 / greatest(calls, 1))::numeric, 0) || ' |'
			FROM pg_stat_statements, (SELECT greatest(count(*), 1) AS n FROM jobs WHERE finished_at >= '$tstart') d
			WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '/* probe */%'
			ORDER BY shared_blks_hit + shared_blks_read DESC LIMIT 6"
		if [ "$cfg" = snapshot ]; then
			printf 'COMMIT;\n' >&8
			exec 8>&-
			wait "$snap_pid" || true
			snap_pid=
		fi
		tail -n +"$((log_from + 1))" "$server_log" | awk -v db="$db" '
			/automatic vacuum of table/ { cur = index($0, "\"" db ".public.jobs\"") > 0; if (cur) { n++; at = $2; sub(/\..*/, "", at) } next }
			cur && /tuples: / { for (i = 1; i <= NF; i++) if ($i == "tuples:") removed = $(i + 1) }
			cur && /index scans:/ { }
			cur && /elapsed:/ { for (i = 1; i <= NF; i++) if ($i == "elapsed:") el = $(i + 1)
				printf "autovacuum of jobs at %s: %s dead tuples removed, %s s elapsed\n", at, removed, el; cur = 0 }
			END { if (!n) print "no autovacuum of jobs in the window" }'
		say "after: jobs $(q "$db" "SELECT pg_size_pretty(pg_relation_size('jobs')) || ' heap, ' || pg_size_pretty(pg_indexes_size('jobs')) || ' indexes; jobs_claimable ' || pg_size_pretty(pg_relation_size('jobs_claimable'))")"
		q postgres "DROP DATABASE $db" > /dev/null
	done
fi
say ""
say "# done $(date -u +%H:%M:%SZ), load $(load)"
