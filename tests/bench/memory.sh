#!/usr/bin/env bash
# memory.sh [--quick] [--requests N] [--jobs N] [--skip api|runner|valgrind]...: does the
# memory of veogen's long-running loops stay flat, and do they leak (README.md in this
# directory: "memory.sh").
#
#   (api)       responder RSS over N requests (default 1,000,000; --quick 100,000): wrk
#               against GET /api/v1/me with an API key (X-API-Key), through an nginx of the
#               bench's own (the shipped site file) to a veogen-fcgi of its own on the dev
#               stack's PostgreSQL and Redis, with the stack's config except
#               fcgi.max_requests = 0 (no recycling: the same processes all along) and rate
#               limits off.  VmRSS of every responder at start, after a warm-up, and after
#               every N/10 requests.
#   (runner)    runner RSS over N noop jobs (default 100,000; --quick 20,000): a private
#               PostgreSQL cluster (queue_drain.sh's settings), N jobs of kind noop inserted
#               by one statement, veogen-runner with the shipped defaults plus
#               runner.allow_noop = true; VmRSS of the master and every worker after every
#               N/10 jobs done.
#   (valgrind)  valgrind --leak-check=full over a shorter run of each loop: veogen-fcgi with
#               one responder serving 2,000 requests through the same nginx (a mix: me by API
#               key and by token, the video list, API keys, health, 404, 401, a bad body,
#               small uploads and their deletion), and veogen-runner draining 500 noop jobs
#               on the private cluster; "definitely lost" and "indirectly lost" bytes and
#               valgrind's error count per process (master and workers), from the reports
#               valgrind writes at each process's exit.  No suppressions.
#
# "Flat" = the largest growth of one process between the first sample after the warm-up and
# the last is under 1% of its size or 256 KiB, whichever is more; printed per part with the
# numbers.  Exits 1 when a measurement itself fails (no stack, wrk failing or more than 1% of
# answers not 2xx, a job not done, a valgrind report missing); growth or a leak is a finding
# and exits 0.
#
# Environment (as `contrib/devstack env` prints it): VEOGEN_BASE_URL, VEOGEN_STATE,
# VEOGEN_CONF, VEOGEN_BUILD.  BENCH_PORT (the bench's nginx; default stack port + 2),
# BENCH_PGPORT (the private cluster; default VEOGEN_PORT + 43), BENCH_PG_USER (the cluster's
# OS user when run as root: veogen-dev, else postgres), BENCH_CONNECTIONS (wrk, 64),
# BENCH_THREADS (2), BENCH_VALGRIND_REQUESTS (2000), BENCH_VALGRIND_JOBS (500), BENCH_KEEP=1
# (keep the work directory: logs and valgrind's reports), PGBIN (/usr/lib/postgresql/15/bin).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

die() {
	printf 'memory: %s\n' "$*" >&2
	exit 1
}
say() { printf '%s\n' "$*"; }
# shellcheck source=tests/bench/lib_cluster.sh
. "$here/lib_cluster.sh"
# shellcheck source=tests/bench/lib_nginx.sh
. "$here/lib_nginx.sh"

requests=1000000
jobs=100000
declare -A skip=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick)
		requests=100000
		jobs=20000
		shift
		;;
	--requests)
		[ $# -ge 2 ] || die "--requests needs a number"
		requests=$2
		shift 2
		;;
	--jobs)
		[ $# -ge 2 ] || die "--jobs needs a number"
		jobs=$2
		shift 2
		;;
	--skip)
		[ $# -ge 2 ] || die "--skip needs api, runner or valgrind"
		case $2 in api | runner | valgrind) skip[$2]=1 ;; *) die "--skip api|runner|valgrind, not $2" ;; esac
		shift 2
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[[ $requests =~ ^[1-9][0-9]*$ ]] || die "--requests wants a positive number, not $requests"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number, not $jobs"
want() { [ -z "${skip[$1]:-}" ]; }

port=${VEOGEN_PORT:-8080}
base=${VEOGEN_BASE_URL:-http://127.0.0.1:$port}
state=${VEOGEN_STATE:-$top/.devstack}
conf=${VEOGEN_CONF:-$state/veogen.conf}
build=$(realpath -m -- "${VEOGEN_BUILD:-$state/build}")
conns=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
vg_requests=${BENCH_VALGRIND_REQUESTS:-2000}
vg_jobs=${BENCH_VALGRIND_JOBS:-500}
pgport=${BENCH_PGPORT:-$((port + 43))}
stack_port=$(printf '%s\n' "$base" | sed -n 's|^[a-z]*://[^/:]*:\([0-9][0-9]*\).*|\1|p')
bench_port=${BENCH_PORT:-$((${stack_port:-$port} + 2))}
bench=http://127.0.0.1:$bench_port

need_stack=0
{ want api || want valgrind; } && need_stack=1
need_cluster=0
{ want runner || want valgrind; } && need_cluster=1
{ [ -x "$build/veogen-fcgi" ] && [ -x "$build/veogen-runner" ] && [ -x "$build/veogenctl" ]; } ||
	die "no veogen-fcgi/veogen-runner/veogenctl in $build: build first and set VEOGEN_BUILD"
if [ "$need_stack" = 1 ]; then
	command -v wrk > /dev/null || die "wrk is not installed (apt-get install wrk)"
	[ -r "$conf" ] || die "no $conf: set VEOGEN_CONF (contrib/devstack env)"
	curl -fsS -o /dev/null "$base/healthz" || die "no dev stack at $base (contrib/devstack up)"
	if (exec 3<> "/dev/tcp/127.0.0.1/$bench_port") 2> /dev/null; then
		die "127.0.0.1:$bench_port is taken: set BENCH_PORT to a free port"
	fi
fi
if want valgrind; then
	command -v valgrind > /dev/null || die "valgrind is not installed (apt-get install valgrind)"
	command -v ffmpeg > /dev/null || die "ffmpeg is missing (the uploads of the valgrind mix)"
fi
if [ "$need_cluster" = 1 ]; then
	cluster_check "$pgport"
fi

work=$(mktemp -d /tmp/veogen-memory.XXXXXX)
chmod 755 "$work" # nginx workers may run as another user
mkdir -p "$work/run" "$work/storage" "$work/tmp"
pids=()
runner_pid=
cleanup() {
	local p
	nginx_stop
	for p in "$api_master" "$runner_pid" "${pids[@]}"; do
		if [ -n "$p" ]; then kill "$p" 2> /dev/null || true; fi
	done
	for p in "$api_master" "$runner_pid" "${pids[@]}"; do
		if [ -n "$p" ]; then wait "$p" 2> /dev/null || true; fi
	done
	cluster_stop
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "memory: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# rss_of PID...: "pid:VmRSS " (KiB) for each PID still alive
rss_of() {
	local p
	for p in "$@"; do
		awk -v p="$p" '$1 == "VmRSS:" { printf "%s:%s ", p, $2 }' "/proc/$p/status" 2> /dev/null || true
	done
}
children() { ps -o pid= --ppid "$1" | sort -n | tr '\n' ' '; }
# growth FIRST LAST: largest growth of one process (KiB), its size, flat or not, same
# processes or not.
growth() {
	printf '%s\n%s\n' "$1" "$2" | awk '
		NR == 1 { n = split($0, a, " "); for (i = 1; i <= n; i++) { split(a[i], f, ":"); r[f[1]] = f[2] } }
		NR == 2 {
			n = split($0, a, " "); same = (n == length(r)); g = 0; at = 0; flat = 1
			for (i = 1; i <= n; i++) {
				split(a[i], f, ":")
				if (!(f[1] in r)) { same = 0; continue }
				d = f[2] - r[f[1]]
				if (d > g) { g = d; at = f[2] }
				lim = f[2] / 100; if (lim < 256) lim = 256
				if (d > lim) flat = 0
			}
			printf "largest growth of one process %+d KiB%s; %s; same processes: %s\n", g,
				at ? " (to " at " KiB)" : "", flat ? "flat" : "NOT flat", same ? "yes" : "NO"
		}'
}
failed=0
say "# memory $(date -u +%Y-%m-%dT%H:%M:%SZ): $(nproc) cores, $(free -g | awk '$1 == "Mem:" { print $2 " GB" }'); load $(load)"

# ================================================================ the bench's API pieces
# lib_nginx.sh: api_start WORKERS [valgrind args…] / api_stop (our veogen-fcgi on
# $work/api.sock: the stack's config, no recycling, no rate limits) and nginx_start.

if [ "$need_stack" = 1 ]; then
	# The bench's nginx: the shipped site file on our port and socket.
	stack_pids
	nginx_start "$bench_port" "$work/api.sock" 2 off "$(conf_get storage dir)"

	# A fresh user, a token and an API key (through the stack).
	email="bench-memory-$(date +%s)-$$@example.com"
	password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	token=$(auth_token register "$email" "$password")
	keyans=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		-d '{"name":"memory bench"}' "$base/api/v1/api-keys") || die "POST /api/v1/api-keys failed"
	apikey=$(printf '%s' "$keyans" | sed -n 's/.*"key": *"\([^"]*\)".*/\1/p')
	[ -n "$apikey" ] || die "no key in the API key answer: $keyans"
fi

# run_wrk SECONDS: GET /api/v1/me with the API key; prints "requests non2xx req/s"
run_wrk() {
	local out=$work/wrk.txt n bad errs rps
	wrk -t "$threads" -c "$conns" -d "${1}s" -H "X-API-Key: $apikey" "$bench/api/v1/me" > "$out" 2>&1 ||
		die "wrk failed: $(cat "$out")"
	n=$(awk '/requests in/ { print $1 }' "$out")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	errs=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
	rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	echo "${n:-0} $((${bad:-0} + ${errs:-0})) ${rps:-0}"
}

# ================================================================ (api)
if want api; then
	say ""
	say "## (api) responder RSS over $requests requests: wrk -t$threads -c$conns GET /api/v1/me (X-API-Key) via $bench"
	workers=$(conf_get fcgi workers)
	workers=${workers:-4}
	api_start "$workers"
	curl -fsS -o /dev/null -H "X-API-Key: $apikey" "$bench/api/v1/me" || die "GET /api/v1/me through the bench's nginx failed"
	resp=$(children "$api_master")
	# shellcheck disable=SC2086
	rss_cold=$(rss_of $resp)
	read -r wn wbad wrps < <(run_wrk 3)
	[ "$wn" -gt 0 ] || die "the warm-up answered nothing"
	# shellcheck disable=SC2086
	rss_warm=$(rss_of $resp)
	total=$wn
	bad_total=$wbad
	say "$(printf '%12s  %s' requests 'responder pid:VmRSS KiB')"
	say "$(printf '%12s  %s' 0 "$rss_cold")  (cold)"
	say "$(printf '%12s  %s' "$total" "$rss_warm")  (warm-up, $wrps req/s, load $(load))"
	step=$((requests / 10))
	rate=$wrps
	next=$step
	while [ "$next" -le "$total" ]; do next=$((next + step)); done
	while [ "$total" -lt "$requests" ]; do
		want_n=$((next - total))
		secs=$(awk -v n="$want_n" -v r="$rate" 'BEGIN { s = int(n / (r > 0 ? r : 1) + 0.5); print (s < 1 ? 1 : s) }')
		read -r n bad rps < <(run_wrk "$secs")
		total=$((total + n))
		bad_total=$((bad_total + bad))
		[ "$rps" -gt 0 ] && rate=$rps
		if [ "$total" -ge "$next" ] || [ "$total" -ge "$requests" ]; then
			# shellcheck disable=SC2086
			say "$(printf '%12s  %s' "$total" "$(rss_of $resp)")  ($rps req/s, load $(load))"
			while [ "$next" -le "$total" ]; do next=$((next + step)); done
		fi
	done
	# shellcheck disable=SC2086
	rss_end=$(rss_of $resp)
	say "(api) $total requests, $bad_total not 2xx; responders after the warm-up -> the end: $(growth "$rss_warm" "$rss_end")"
	[ "$(children "$api_master")" = "$resp" ] || say "(api) WARNING: the responders changed during the run"
	if [ "$((bad_total * 100))" -gt "$total" ]; then
		say "(api) FAILED: more than 1% of the answers were not 2xx: not the happy path"
		failed=1
	fi
	api_stop
fi

# ================================================================ the private cluster
[ "$need_cluster" = 0 ] || cluster_start "$work/pg" "$pgport" memory.sh
export PGHOST=127.0.0.1 PGPORT=$pgport PGUSER=postgres
db=veogen_memory
q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
# fresh_db: an empty, migrated database and the runner's config for it
fresh_db() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -d postgres \
		-c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" > /dev/null ||
		die "cannot create the database"
	runner_conf "$work/runner.conf" "host=127.0.0.1 port=$pgport dbname=$db user=postgres" memory-bench "$work" memory.sh
	"$build/veogenctl" -c "$work/runner.conf" migrate --dir "$top/sql" >> "$work/migrate.log" 2>&1 || {
		tail -5 "$work/migrate.log" >&2
		die "veogenctl migrate failed"
	}
}
# drain N LIMIT_S [valgrind args…]: inserts N noop jobs, starts the runner, waits until none
# is left; sets runner_pid (still running).  Prints a sample line at every tenth when
# sampling=1.
sampling=0
drain() {
	local n=$1 limit=$2 left t0 done_n next step procs
	shift 2
	q "INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, $n)" > /dev/null
	q "VACUUM ANALYZE jobs" > /dev/null
	"$@" "$build/veogen-runner" -F -c "$work/runner.conf" 2> "$work/runner.log" &
	runner_pid=$!
	step=$((n / 10))
	next=$step
	t0=$(date +%s)
	while :; do
		sleep 0.5
		left=$(q "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")
		done_n=$((n - left))
		if [ "$sampling" = 1 ] && { [ "$done_n" -ge "$next" ] || [ "$left" = 0 ]; }; then
			procs="$runner_pid $(children "$runner_pid")"
			# shellcheck disable=SC2086
			say "$(printf '%12s  %s' "$done_n" "$(rss_of $procs)")  (load $(load))"
			# shellcheck disable=SC2086
			[ -n "${rss_first:-}" ] || rss_first=$(rss_of $procs)
			while [ "$next" -le "$done_n" ]; do next=$((next + step)); done
		fi
		[ "$left" = 0 ] && return 0
		if ! kill -0 "$runner_pid" 2> /dev/null; then
			tail -20 "$work/runner.log" >&2
			die "veogen-runner exited with $left jobs left"
		fi
		if [ $(($(date +%s) - t0)) -gt "$limit" ]; then
			tail -5 "$work/runner.log" >&2
			die "veogen-runner: $left jobs still not done after ${limit}s"
		fi
	done
}
stop_runner() {
	[ -n "$runner_pid" ] || return 0
	kill "$runner_pid" 2> /dev/null || true
	wait "$runner_pid" 2> /dev/null || true
	runner_pid=
}
check_jobs() { # check_jobs N WHAT
	local out n ndone once
	out=$(q "SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE attempt = 1) FROM jobs")
	IFS='|' read -r n ndone once <<< "$out"
	if [ "$n" != "$1" ] || [ "$ndone" != "$1" ] || [ "$once" != "$1" ]; then
		say "$2 FAILED: $ndone of $n jobs succeeded, $once claimed once (of $1)"
		failed=1
	fi
}

# ================================================================ (runner)
if want runner; then
	say ""
	say "## (runner) runner RSS over $jobs noop jobs (veogen-runner, shipped defaults + allow_noop; private PostgreSQL on 127.0.0.1:$pgport)"
	fresh_db
	say "$(printf '%12s  %s' 'jobs done' 'master and worker pid:VmRSS KiB')"
	sampling=1
	rss_first=
	drain "$jobs" $((jobs / 20 + 120))
	sampling=0
	procs="$runner_pid $(children "$runner_pid")"
	# shellcheck disable=SC2086
	rss_last=$(rss_of $procs)
	say "(runner) first sample -> the end: $(growth "$rss_first" "$rss_last")"
	stop_runner
	check_jobs "$jobs" "(runner)"
fi

# ================================================================ (valgrind)
# vg_report LABEL LOGS…: one line per process from valgrind's reports; the "still
# reachable" bytes of the workers summed into vg_reachable.  A log with the header only
# belongs to a child that exec'd another program (ffprobe from an upload), which valgrind
# does not follow (--trace-children=no): counted, not a failure.
vg_reachable=0
vg_report() {
	local label=$1 f bad=0 execd=0 parent role line
	shift
	vg_reachable=0
	for f in "$@"; do
		if ! grep -q 'HEAP SUMMARY:\|ERROR SUMMARY:' "$f" && [ "$(grep -Evc '^==[0-9]+== (Memcheck, |Copyright |Using Valgrind|Command: |Parent PID: |$)' "$f")" = 0 ]; then
			execd=$((execd + 1))
			continue
		fi
		role=worker
		parent=$(sed -n 's/^==[0-9]*== Parent PID: \([0-9]*\).*/\1/p' "$f" | head -1)
		[ -e "$(dirname "$f")/$(basename "$f" | sed 's/\.[0-9]*\.log$//').$parent.log" ] || role=master
		line=$(awk -v l="$label" -v f="$(basename "$f") ($role)" '
			/definitely lost:/ { dl = $4; gsub(/,/, "", dl) }
			/indirectly lost:/ { il = $4; gsub(/,/, "", il) }
			/possibly lost:/ { pl = $4; gsub(/,/, "", pl) }
			/still reachable:/ { sr = $4; gsub(/,/, "", sr) }
			/total heap usage:/ { al = $5; gsub(/,/, "", al) }
			/All heap blocks were freed/ { dl = il = pl = sr = 0 }
			/ERROR SUMMARY:/ { es = $4 }
			END {
				if (es == "") { printf "%s %s: NO valgrind summary (the process did not end normally?)\n", l, f; exit 1 }
				printf "%s %-31s definitely lost %s B, indirectly lost %s B, possibly lost %s B, still reachable %s B; %s errors; %s allocations\n",
					l, f, dl + 0, il + 0, pl + 0, sr + 0, es, al + 0
			}' "$f") || bad=1
		say "$line"
		if [ "$role" = worker ]; then
			vg_reachable=$((vg_reachable + $(printf '%s' "$line" | sed -n 's/.*still reachable \([0-9]*\) B.*/\1/p')))
		fi
	done
	[ "$execd" = 0 ] || say "$label: $execd children exec'd another program (ffprobe; not followed by valgrind)"
	return $bad
}
# shellcheck disable=SC2054
vg_args=(valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect
	--num-callers=30 --child-silent-after-fork=no --trace-children=no)

# vg_fcgi N TAG: veogen-fcgi under valgrind with one responder serving N requests of the mix
vg_fcgi() {
	local n=$1 tag=$2 uploads=10 per i ok_mix fiveh up_ok ans fid served
	api_start 1 "${vg_args[@]}" --log-file="$work/vg-fcgi-$tag.%p.log"
	# Until the responder under valgrind answers (that is one request of the N).
	for _ in $(seq 300); do
		curl -fsS -o /dev/null "$bench/healthz" 2> /dev/null && break
		sleep 0.2
	done
	curl -fsS -o /dev/null "$bench/healthz" || die "veogen-fcgi under valgrind does not answer"
	: > "$work/mix.cfg"
	: > "$work/mix.expected"
	n_mix=0
	mix() { # mix EXPECTED-CODE CURL-CONFIG-LINES…: one request and the status it must get
		echo "$1" >> "$work/mix.expected"
		shift
		printf '%s\n' "$@" 'output = "/dev/null"' 'write-out = "%{http_code}\n"' 'next' >> "$work/mix.cfg"
		n_mix=$((n_mix + 1))
	}
	local akey="header = \"X-API-Key: $apikey\"" bearer="header = \"Authorization: Bearer $token\""
	per=$(((n - 2 - 2 * uploads) / 10))
	for ((i = 0; i < per; i++)); do
		mix 200 "url = \"$bench/api/v1/me\"" "$akey"
		mix 200 "url = \"$bench/api/v1/me\"" "$akey"
		mix 200 "url = \"$bench/api/v1/me\"" "$akey"
		mix 200 "url = \"$bench/api/v1/me\"" "$bearer"
		mix 200 "url = \"$bench/api/v1/videos?limit=20\"" "$akey"
		mix 200 "url = \"$bench/api/v1/api-keys\"" "$bearer"
		mix 200 "url = \"$bench/healthz\""
		mix 404 "url = \"$bench/api/v1/videos/00000000-0000-0000-0000-000000000000\"" "$akey"
		mix 401 "url = \"$bench/api/v1/me\""
		mix 422 "url = \"$bench/api/v1/videos\"" "$akey" 'header = "Content-Type: application/json"' 'data = "{\"prompt\": 12}"'
	done
	while [ $((n_mix + 2 * uploads + 2)) -lt "$n" ]; do
		mix 200 "url = \"$bench/api/v1/me\"" "$akey"
	done
	curl -sS -K "$work/mix.cfg" > "$work/mix.codes" 2> "$work/mix.err" || true
	ok_mix=$(paste -d' ' "$work/mix.expected" "$work/mix.codes" | awk '$1 == $2 { n++ } END { print n + 0 }')
	fiveh=$(grep -c '^5' "$work/mix.codes" || true)
	up_ok=0
	for ((i = 0; i < uploads; i++)); do
		ans=$(curl -sS -H "X-API-Key: $apikey" -H 'Content-Type: audio/wav' --data-binary @"$wav" "$bench/api/v1/files") || true
		fid=$(printf '%s' "$ans" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -1)
		if [ -n "$fid" ] && curl -fsS -o /dev/null -X DELETE -H "X-API-Key: $apikey" "$bench/api/v1/files/$fid"; then
			up_ok=$((up_ok + 1))
		fi
	done
	curl -fsS -o /dev/null "$bench/healthz" || true
	served=$((n_mix + 2 * uploads + 2))
	say "(valgrind) veogen-fcgi, 1 responder, $served requests: $ok_mix of the $n_mix mixed ones answered with the status expected ($fiveh 5xx), $up_ok of $uploads uploads stored and deleted, 2 health checks"
	{ [ "$ok_mix" = "$n_mix" ] && [ "$up_ok" = "$uploads" ]; } || {
		say "(valgrind) FAILED: the responder under valgrind did not serve the mix (see $work/mix.err)"
		failed=1
	}
	api_stop
	vg_report "(valgrind) veogen-fcgi" "$work"/vg-fcgi-"$tag".*.log || failed=1
}
# vg_runner N TAG: veogen-runner under valgrind draining N noop jobs
vg_runner() {
	fresh_db
	drain "$1" 900 "${vg_args[@]}" --log-file="$work/vg-runner-$2.%p.log"
	stop_runner
	check_jobs "$1" "(valgrind) veogen-runner"
	say "(valgrind) veogen-runner drained $1 noop jobs (shipped defaults: master, 2 CPU, 1 remote, 2 webhook workers)"
	vg_report "(valgrind) veogen-runner" "$work"/vg-runner-"$2".*.log || failed=1
}

if want valgrind; then
	say ""
	say "## (valgrind) $(valgrind --version), --leak-check=full, no suppressions; each loop twice, at a tenth of the size and at full size: what stays reachable at exit must not grow with the work done"
	wav=$work/one.wav
	ffmpeg -nostdin -v error -f lavfi -i "sine=f=440:r=48000:d=1" -c:a pcm_s16le -map_metadata -1 \
		-fflags +bitexact -flags:a +bitexact -y "$wav" || die "ffmpeg could not make the WAV"
	small_n=$((vg_requests / 10))
	[ "$small_n" -ge 40 ] || small_n=40
	vg_fcgi "$small_n" small
	reach_small=$vg_reachable
	vg_fcgi "$vg_requests" full
	say "(valgrind) veogen-fcgi responder, still reachable at exit: $reach_small B after $small_n requests, $vg_reachable B after $vg_requests"
	small_j=$((vg_jobs / 10))
	[ "$small_j" -ge 10 ] || small_j=10
	vg_runner "$small_j" small
	reach_small=$vg_reachable
	vg_runner "$vg_jobs" full
	say "(valgrind) veogen-runner workers, still reachable at exit (sum): $reach_small B after $small_j jobs, $vg_reachable B after $vg_jobs"
	for f in "$work"/vg-fcgi-*.log "$work"/vg-runner-*.log; do
		if grep -q 'definitely lost: [1-9]\|indirectly lost: [1-9]\|ERROR SUMMARY: [1-9]' "$f"; then
			say "---- $(basename "$f"): the first records"
			grep -A25 'are definitely lost\|are indirectly lost\|Invalid \|uninitialised' "$f" | head -60 | sed 's/^==[0-9]*== //'
		fi
	done
fi

say ""
say "# load $(load) at the end"
[ "$failed" = 0 ] || die "FAILED: a measurement did not run as it should (see above)"
