#!/bin/bash
# api_wrk.sh: the API against the cheapest possible FastCGI responder and a static nginx answer,
# on the same machine, in one run.  What is measured and why: tests/bench/README.md.
#
#   tests/bench/api_wrk.sh             needs a running dev stack (contrib/devstack up)
#   tests/bench/api_wrk.sh --baseline  only fcgi_const and the static answer: no stack needed
#
# It starts, and stops again, its own nginx on the next port (the shipped site file
# contrib/nginx/veogen.conf plus two bench locations), its own fcgi_const pool, and its own
# veogen-fcgi on the stack's database and Redis with the per-user limits off
# (requests_per_min, creates_per_min, max_active_jobs_per_user = 0) and max_requests = 0, so
# that no responder is recycled while its RSS is watched: lib_nginx.sh, shared with
# memory.sh and api_load.sh.  The stack itself is not changed.  CPU is counted for this
# stack's processes only (not those of other stacks on the host).
#
# For the POST run the stack's runner is stopped (`contrib/devstack down runner`), the videos
# it created are cancelled, and the runner is started again: otherwise ffmpeg renders the
# queued clips on the same cores while creation is measured.  BENCH_STOP_RUNNER=0 keeps it.
#
# Environment (as `contrib/devstack env` prints it): VEOGEN_BASE_URL, VEOGEN_STATE,
# VEOGEN_CONF, VEOGEN_BUILD, VEOGEN_DEVSTACK.  Knobs: BENCH_DURATION (10s), BENCH_POST_DURATION (5s),
# BENCH_CONNECTIONS (64), BENCH_LATENCY_CONNECTIONS (8), BENCH_THREADS (2),
# BENCH_RSS_REQUESTS (100000), BENCH_PORT (stack port + 1), FCGI_CONST (the binary).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=full
case "${1:-}" in
--baseline) mode=baseline ;;
"") ;;
*)
	echo "usage: $0 [--baseline]" >&2
	exit 2
	;;
esac

port=${VEOGEN_PORT:-8080}
base=${VEOGEN_BASE_URL:-http://127.0.0.1:$port}
state=${VEOGEN_STATE:-$top/.devstack}
conf=${VEOGEN_CONF:-$state/veogen.conf}
build=${VEOGEN_BUILD:-$state/build}
duration=${BENCH_DURATION:-10s}
post_duration=${BENCH_POST_DURATION:-5s}
conns=${BENCH_CONNECTIONS:-64}
lat_conns=${BENCH_LATENCY_CONNECTIONS:-8}
threads=${BENCH_THREADS:-2}
rss_requests=${BENCH_RSS_REQUESTS:-100000}
stack_port=$(printf '%s\n' "$base" | sed -n 's|^[a-z]*://[^/:]*:\([0-9][0-9]*\).*|\1|p')
bench_port=${BENCH_PORT:-$((${stack_port:-$port} + 1))}
bench=http://127.0.0.1:$bench_port

die() {
	echo "api_wrk: $*" >&2
	exit 1
}

# shellcheck source=tests/bench/lib_nginx.sh
. "$here/lib_nginx.sh"

# The stack's processes, and its nginx (binary and worker_processes) for the comparison one.
stack_pids
nginx_workers=$stack_nginx_workers
fcgi_workers=$(conf_get fcgi workers)
fcgi_workers=${fcgi_workers:-4}

# fcgi_const: given, or (re)built in the build directory.
fcgi_const=${FCGI_CONST:-$build/tests/bench/fcgi_const}
if [ -z "${FCGI_CONST:-}" ] && [ -f "$build/Makefile" ]; then
	make -s -C "$build" tests/bench/fcgi_const >&2
fi
[ -x "$fcgi_const" ] ||
	die "no $fcgi_const: run \`make tests/bench/fcgi_const\` in a build directory and set FCGI_CONST"
command -v wrk > /dev/null || die "wrk is not installed (apt-get install wrk)"
if [ "$mode" = full ]; then
	[ -x "$build/veogen-fcgi" ] || die "no $build/veogen-fcgi: set VEOGEN_BUILD"
	[ -r "$conf" ] || die "no $conf: set VEOGEN_CONF (contrib/devstack env)"
	curl -fsS -o /dev/null "$base/healthz" || die "no dev stack at $base (contrib/devstack up)"
fi

devstack=${VEOGEN_DEVSTACK:-$top/contrib/devstack}
stop_runner=${BENCH_STOP_RUNNER:-1}
runner_stopped=

work=$(mktemp -d /tmp/veogen-bench.XXXXXX)
chmod 755 "$work" # nginx workers may run as another user
pids=()
cleanup() {
	if [ -n "$runner_stopped" ]; then
		"$devstack" up runner > /dev/null 2>&1 || echo "api_wrk: could not restart the runner: $devstack up runner" >&2
	fi
	nginx_stop
	api_stop
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2> /dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

# ---- the bench's own responders ----
"$fcgi_const" "$work/const.sock" "$fcgi_workers" 2> "$work/const.log" &
const_pid=$!
pids+=("$const_pid")
wait_socket "$work/const.sock" || die "fcgi_const did not start: $(cat "$work/const.log")"

if [ "$mode" = full ]; then
	# The stack's config with our socket, no rate limits and no recycling.
	api_start "$fcgi_workers"
fi

# ---- the comparison nginx: the shipped site file plus two bench locations ----
const_body=$(sed -n '/^static const char body\[\]/,/;$/p' "$here/fcgi_const.c" |
	sed -n 's/^[[:space:]]*"\(.*\)"[;]*$/\1/p' | tr -d '\n' | sed 's/\\"/"/g')
api_sock=$work/api.sock
[ -n "$api_master" ] || api_sock=$work/const.sock # --baseline: /api/ is unused
printf '\tlocation = /_bench/const { fastcgi_pass unix:%s; }\n' "$work/const.sock" > "$work/bench-locations.conf"
printf "\tlocation = /_bench/static { default_type application/json; return 200 '%s'; }\n" "$const_body" \
	>> "$work/bench-locations.conf"
mkdir -p "$work/storage"
nginx_start "$bench_port" "$api_sock" "$nginx_workers" "$work/nginx-access.log" "$work/storage" \
	"$work/bench-locations.conf"
for _ in $(seq 50); do
	curl -fsS -o /dev/null "$bench/_bench/static" 2> /dev/null && break
	sleep 0.1
done
curl -fsS -o /dev/null "$bench/_bench/const" ||
	die "GET /_bench/const through the comparison nginx failed: $(tail -3 "$work/nginx-error.log")"

# ---- wrk ----
# run_wrk NAME CONNECTIONS DURATION URL [wrk args…]: one summary line; wrk's text kept.
declare -A rps p99 bad total
run_wrk() {
	local name=$1 c=$2 dur=$3 url=$4 out errs
	shift 4
	out=$work/wrk-$(printf '%s' "$name" | tr -c 'A-Za-z0-9' _).txt
	local cpu0 cpu1
	cpu0=$(cpu_snap)
	wrk -t "$threads" -c "$c" -d "$dur" --latency "$@" "$url" > "$out" 2>&1 ||
		die "wrk failed for $name: $(cat "$out")"
	cpu1=$(cpu_snap)
	rps[$name]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	p99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	total[$name]=$(awk '/requests in/ { print $1 }' "$out")
	bad[$name]=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	errs=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
	bad[$name]=$((${bad[$name]:-0} + ${errs:-0}))
	printf '%-40s %7s req/s  p99 %8s ms  (%s requests, %s not 2xx)\n' \
		"$name" "${rps[$name]}" "${p99[$name]}" "${total[$name]}" "${bad[$name]}"
	cpu_report "$cpu0" "$cpu1"
	if [ "${bad[$name]}" -gt 0 ]; then
		echo "  WARNING: ${bad[$name]} answers were not 2xx (or sockets failed):" \
			"these figures do not measure the happy path" >&2
	fi
}

# CPU accounting (lib_nginx.sh): the stack's PostgreSQL and Redis, both veogen-fcgi (the
# stack's for (1), the bench's for the rest), both nginx, fcgi_const; nothing of other stacks.
# (--baseline: the comparison nginx and fcgi_const only)
cpu_roots=([nginx]="$(bench_nginx)" [fcgi_const]="$const_pid")
if [ "$mode" = full ]; then
	cpu_roots+=([postgres]="$pg_master" [veogen-fcgi]="$stack_fcgi $api_master"
		[nginx]="$stack_nginx $(bench_nginx)" [redis]="$stack_redis")
fi

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

# pid:rss_kib of each responder of the bench's veogen-fcgi
responders() {
	ps -o pid=,rss= --ppid "$api_master" | awk '{ printf "%s:%s ", $1, $2 }'
}

echo "# veogen benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores; wrk -t$threads -d$duration --latency"
echo "# nginx $("$nginx_bin" -v 2>&1 | sed 's/.*\///'), $nginx_workers workers; $fcgi_workers FastCGI responders each;" \
	"comparison nginx on $bench"

if [ "$mode" = full ]; then
	# A fresh user and one video to read.
	email="bench-$(date +%s)-$$@example.com"
	password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	token=$(auth_token register "$email" "$password")
	auth=(-H "Authorization: Bearer $token")
	location=$(curl -fsS -o /dev/null -D - "${auth[@]}" -H 'Content-Type: application/json' \
		-d '{"prompt":"benchmark: one video to read","duration_seconds":4}' \
		"$base/api/v1/videos" | tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
	[ -n "$location" ] || die "POST /api/v1/videos gave no Location header"
	# Read a finished video (with result and links), and measure while no ffmpeg runs.
	for _ in $(seq 240); do
		curl -fsS "${auth[@]}" "$base$location" | grep -q '"status": *"\(succeeded\|failed\|cancelled\)"' && break
		sleep 0.5
	done
	rss_cold=$(responders)

	echo "## throughput at $conns connections"
	run_wrk "(1) GET video via the stack" "$conns" "$duration" "$base$location" "${auth[@]}"
	run_wrk "(1b) GET video via comparison nginx" "$conns" "$duration" "$bench$location" "${auth[@]}"
fi
[ "$mode" = full ] || echo "## throughput at $conns connections"
run_wrk "(2) fcgi_const" "$conns" "$duration" "$bench/_bench/const"
run_wrk "(3) nginx return 200" "$conns" "$duration" "$bench/_bench/static"

echo "## latency at $lat_conns connections"
if [ "$mode" = full ]; then
	run_wrk "(1b) GET video, $lat_conns conns" "$lat_conns" "$duration" "$bench$location" "${auth[@]}"
fi
run_wrk "(2) fcgi_const, $lat_conns conns" "$lat_conns" "$duration" "$bench/_bench/const"

c2="(2) fcgi_const"
c3="(3) nginx return 200"
echo "## ratios"
echo "(2)/(3): $(ratio "${rps[$c2]}" "${rps[$c3]}")"
if [ "$mode" = full ]; then
	g1="(1) GET video via the stack"
	g1b="(1b) GET video via comparison nginx"
	echo "(1)/(2):  $(ratio "${rps[$g1]}" "${rps[$c2]}")   (target >= 0.5)"
	echo "(1b)/(2): $(ratio "${rps[$g1b]}" "${rps[$c2]}")   (same nginx, same site file)"
	echo "(1)/(3):  $(ratio "${rps[$g1]}" "${rps[$c3]}")"
	echo "(1b)/(3): $(ratio "${rps[$g1b]}" "${rps[$c3]}")"
	echo "p99 of (1b) at $lat_conns connections: ${p99["(1b) GET video, $lat_conns conns"]} ms (target < 10 ms)"
	rss_warm=$(responders)

	# Flat RSS: GETs until the bench's responders have served rss_requests in all.
	secs=$(awk -v n="$rss_requests" -v r="${rps[$g1b]}" 'BEGIN { print int(n / (r > 0 ? r : 1)) + 1 }')
	echo "## memory"
	run_wrk "(rss) GET video for ${secs}s" "$conns" "${secs}s" "$bench$location" "${auth[@]}"
	rss_after=$(responders)
	echo "responder pid:RSS KiB at start:              $rss_cold"
	echo "responder pid:RSS KiB after the runs above:  $rss_warm"
	echo "responder pid:RSS KiB after ${total["(rss) GET video for ${secs}s"]} more: $rss_after"
	echo "the same processes throughout: $([ "$(printf '%s' "$rss_cold" | sed 's/:[0-9]*//g')" = \
		"$(printf '%s' "$rss_after" | sed 's/:[0-9]*//g')" ] && echo yes || echo NO)"
	max_rss=$(printf '%s\n' "$rss_after" | tr ' ' '\n' | awk -F: 'NF == 2 && $2 > m { m = $2 } END { print m + 0 }')
	growth=$(printf '%s\n%s\n' "$rss_warm" "$rss_after" | tr ' ' '\n' |
		awk -F: 'NF == 2 { if ($1 in w) { d = $2 - w[$1]; if (d > g) g = d } else w[$1] = $2 } END { print g + 0 }')
	echo "largest responder: $max_rss KiB (target < 10240 KiB); largest growth over the last run: $growth KiB (target: flat)"

	# Creation last: every 202 is a job the runner then picks up.
	echo "## creation"
	if [ "$stop_runner" = 1 ] && [ -x "$devstack" ]; then
		"$devstack" down runner > /dev/null 2>&1 && runner_stopped=1 &&
			echo "(the stack's runner is stopped during this run, and started again after it)"
	fi
	export VEOGEN_BENCH_TOKEN=$token
	run_wrk "(4) POST /api/v1/videos" "$conns" "$post_duration" "$bench/api/v1/videos" \
		-s "$here/post_video.lua" < /dev/null
	echo "POST /api/v1/videos: ${rps["(4) POST /api/v1/videos"]} req/s (target >= 2000)"

	# Cancel what the POST run queued, so the runner does not render it for hours.
	read -r cancelled total < <(cancel_videos "$token" queued running)
	[ "${total:-0}" = 0 ] ||
		echo "cancelled $cancelled of $total benchmark videos still queued or running"
fi
