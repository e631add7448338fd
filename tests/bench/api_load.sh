#!/bin/bash
# api_load.sh [--quick] [--no-perf]: the API under load.  Three endpoints, each against the
# fcgi_const floor measured in the same run, over a matrix of connections × responders;
# where throughput stops rising (the knee), and what the CPU goes to there (perf).  What is
# measured and why: tests/bench/README.md, "api_load.sh".
#
#   endpoints    list    GET /api/v1/videos?limit=20 with a JWT (a user with 20 finished
#                        videos; --quick: 20 queued ones)
#                create  POST /api/v1/videos with a JWT (post_video.lua: every request makes
#                        a video and a job; the stack's runner is stopped for the whole run,
#                        and the videos made are cancelled after each block)
#                me      GET /api/v1/me with an API key (X-API-Key)
#                const   fcgi_const through the same nginx (/_bench/const): the floor
#   matrix       connections 1, 16, 64, 256 (wrk -t2, -t1 at 1 connection; BENCH_DURATION
#                each, 5 s) × responders 1, 2, 4, 8 (its own veogen-fcgi restarted with
#                fcgi.workers = N, and fcgi_const with N processes); in each block of N,
#                fcgi_const runs just before the endpoints at the same connections
#   per cell     req/s, p50, p99, answers not 2xx, CPU µs per request of the stack's
#                PostgreSQL, the responders (veogen-fcgi or fcgi_const), the bench's nginx,
#                the stack's Redis and wrk (from /proc), the machine's busy share, the load
#                average, and req/s ÷ fcgi_const's at the same responders and connections
#   knee         per endpoint: along connections at each responder count, along responders
#                at each connection count (the first step that adds < BENCH_KNEE_GAIN %, 10),
#                and the knee cell: the fewest connections, then the fewest responders,
#                within BENCH_KNEE_GAIN % of the endpoint's best req/s in the matrix
#   profile      that cell once more under `perf record -a -g` (cpu-clock): the CPU split by
#                process (ours, wrk, idle, the rest of the host) and the top functions and
#                libraries of PostgreSQL, veogen-fcgi, nginx and Redis (--no-perf: skipped;
#                perf is Debian's linux-perf)
#
#   --quick      2 s cells, responders 1 and 4, no wait for the list user's videos to render
#
# It starts, and stops again, its own nginx (the shipped site file plus /_bench/const) on
# stack port + 3, fcgi_const, and its own veogen-fcgi on the stack's PostgreSQL and Redis
# with every per-user limit off and no recycling (tests/bench/lib_nginx.sh).  Throw-away users
# (bench-load-…@example.com) and their videos stay in the stack's database.
#
# Environment (as `contrib/devstack env` prints it): VEOGEN_BASE_URL, VEOGEN_STATE,
# VEOGEN_CONF, VEOGEN_BUILD, VEOGEN_DEVSTACK.  Knobs: BENCH_DURATION (5s; --quick 2s),
# BENCH_CONNECTIONS ("1 16 64 256"), BENCH_RESPONDERS ("1 2 4 8"; --quick "1 4"),
# BENCH_ENDPOINTS ("list create me"), BENCH_THREADS (2), BENCH_KNEE_GAIN (10),
# BENCH_PERF_FREQ (997), BENCH_LIST_WAIT (180 s for the list user's videos; --quick 0),
# BENCH_STOP_RUNNER (1), BENCH_PORT (stack port + 3), BENCH_KEEP=1 (keep the work directory:
# wrk's output, perf.data), FCGI_CONST (the binary).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

die() {
	echo "api_load: $*" >&2
	exit 1
}

quick=0
use_perf=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--no-perf) use_perf=0 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done

port=${VEOGEN_PORT:-8080}
base=${VEOGEN_BASE_URL:-http://127.0.0.1:$port}
state=${VEOGEN_STATE:-$top/.devstack}
conf=${VEOGEN_CONF:-$state/veogen.conf}
build=$(realpath -m -- "${VEOGEN_BUILD:-$state/build}")
devstack=${VEOGEN_DEVSTACK:-$top/contrib/devstack}
if [ "$quick" = 1 ]; then
	duration=${BENCH_DURATION:-2s}
	responders_list=${BENCH_RESPONDERS:-1 4}
	list_wait=${BENCH_LIST_WAIT:-0}
else
	duration=${BENCH_DURATION:-5s}
	responders_list=${BENCH_RESPONDERS:-1 2 4 8}
	list_wait=${BENCH_LIST_WAIT:-180}
fi
conns_list=${BENCH_CONNECTIONS:-1 16 64 256}
endpoints=${BENCH_ENDPOINTS:-list create me}
threads=${BENCH_THREADS:-2}
knee_gain=${BENCH_KNEE_GAIN:-10}
perf_freq=${BENCH_PERF_FREQ:-997}
stop_runner=${BENCH_STOP_RUNNER:-1}
stack_port=$(printf '%s\n' "$base" | sed -n 's|^[a-z]*://[^/:]*:\([0-9][0-9]*\).*|\1|p')
bench_port=${BENCH_PORT:-$((${stack_port:-$port} + 3))}
bench=http://127.0.0.1:$bench_port
[[ $duration =~ ^[0-9]+s$ ]] || die "BENCH_DURATION wants seconds, like 5s (not $duration)"
secs=${duration%s}

# ---- checks ----
fcgi_const=${FCGI_CONST:-$build/tests/bench/fcgi_const}
if [ -z "${FCGI_CONST:-}" ] && [ -f "$build/Makefile" ]; then
	make -s -C "$build" tests/bench/fcgi_const >&2
fi
[ -x "$fcgi_const" ] ||
	die "no $fcgi_const: run \`make tests/bench/fcgi_const\` in a build directory and set FCGI_CONST"
command -v wrk > /dev/null || die "wrk is not installed (apt-get install wrk)"
[ -x "$build/veogen-fcgi" ] || die "no $build/veogen-fcgi: set VEOGEN_BUILD"
[ -r "$conf" ] || die "no $conf: set VEOGEN_CONF (contrib/devstack env)"
curl -fsS -o /dev/null "$base/healthz" || die "no dev stack at $base (contrib/devstack up)"
if (exec 3<> "/dev/tcp/127.0.0.1/$bench_port") 2> /dev/null; then
	die "127.0.0.1:$bench_port is taken: set BENCH_PORT to a free port"
fi
if [ "$use_perf" = 1 ]; then
	if ! perf version > /dev/null 2>&1; then
		echo "api_load: perf is missing (apt-get install linux-perf): no profile at the knee" >&2
		use_perf=0
	elif ! perf record -q -a -e cpu-clock -o /dev/null -- true > /dev/null 2>&1; then
		echo "api_load: perf cannot record system-wide here (root, or kernel.perf_event_paranoid <= 0): no profile" >&2
		use_perf=0
	fi
fi

# shellcheck source=tests/bench/lib_nginx.sh
. "$here/lib_nginx.sh"

work=$(mktemp -d /tmp/veogen-load.XXXXXX)
chmod 755 "$work" # nginx workers may run as another user
const_pid=
runner_stopped=
post_user_ready=
cleanup() {
	local rc=$?
	if [ -n "$post_user_ready" ] && [ -n "$api_master" ]; then
		# the create user's videos left by an interrupted run, and the list user's that
		# did not render (the runner would render them for nothing)
		post_token=$(auth_token login "$post_email" "$password" 2> /dev/null) && cancel_created > /dev/null 2>&1
		list_token=$(auth_token login "$list_email" "$password" 2> /dev/null) &&
			cancel_videos "$list_token" queued running > /dev/null 2>&1
	fi
	if [ -n "$runner_stopped" ]; then
		"$devstack" up runner > /dev/null 2>&1 || echo "api_load: could not restart the runner: $devstack up runner" >&2
	fi
	nginx_stop
	api_stop
	const_stop
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "api_load: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

const_start() {
	rm -f "$work/const.sock"
	"$fcgi_const" "$work/const.sock" "$1" 2> "$work/const.log" &
	const_pid=$!
	wait_socket "$work/const.sock" || die "fcgi_const did not start: $(cat "$work/const.log")"
}
const_stop() {
	[ -n "$const_pid" ] || return 0
	kill "$const_pid" 2> /dev/null || true
	wait "$const_pid" 2> /dev/null || true
	const_pid=
}

# ---- the stack, the bench's nginx and its responders ----
stack_pids
[ -n "$pg_master" ] || die "the stack's PostgreSQL was not found (database.conninfo in $conf)"
mkdir -p "$work/storage"
printf '\tlocation = /_bench/const { fastcgi_pass unix:%s; }\n' "$work/const.sock" > "$work/bench-locations.conf"
nginx_start "$bench_port" "$work/api.sock" "$stack_nginx_workers" "$work/nginx-access.log" \
	"$(conf_get storage dir)" "$work/bench-locations.conf"

echo "# api_load $(date -u +%Y-%m-%dT%H:%M:%SZ): $(nproc) cores, $(free -g | awk '$1 == "Mem:" { print $2 " GB" }'),"\
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); load $(loadavg)"
echo "# wrk -t$threads -d$duration --latency; nginx $("$nginx_bin" -v 2>&1 | sed 's/.*\///'), $stack_nginx_workers workers" \
	"(the shipped site file) on $bench; connections: $conns_list; responders: $responders_list"

# ---- users: list (20 videos, an API key), create ----
stamp="$(date +%s)-$$"
password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
list_email="bench-load-list-$stamp@example.com"
post_email="bench-load-create-$stamp@example.com"
list_token=$(auth_token register "$list_email" "$password")
post_token=$(auth_token register "$post_email" "$password")
post_user_ready=1
keyans=$(curl -fsS -H "Authorization: Bearer $list_token" -H 'Content-Type: application/json' \
	-d '{"name":"api_load bench"}' "$base/api/v1/api-keys") || die "POST /api/v1/api-keys failed"
apikey=$(printf '%s' "$keyans" | sed -n 's/.*"key": *"\([^"]*\)".*/\1/p')
[ -n "$apikey" ] || die "no key in the API key answer: $keyans"
for i in $(seq 20); do
	curl -fsS -o /dev/null -H "Authorization: Bearer $list_token" -H 'Content-Type: application/json' \
		-d "{\"prompt\":\"api_load: video $i of the list\",\"duration_seconds\":4}" "$base/api/v1/videos" ||
		die "POST /api/v1/videos for the list user failed"
done
# count_status TOKEN STATUS: how many of the user's videos (up to 100) have STATUS
count_status() {
	curl -fsS -H "Authorization: Bearer $1" "$base/api/v1/videos?limit=100&status=$2" |
		grep -o '"status": *"[a-z]*"' | grep -c "\"$2\"" || true
}
list_done=0
if [ "$list_wait" -gt 0 ]; then
	t0=$(date +%s)
	while :; do
		list_done=$(($(count_status "$list_token" succeeded) + $(count_status "$list_token" failed)))
		[ "$list_done" -ge 20 ] && break
		[ $(($(date +%s) - t0)) -lt "$list_wait" ] || break
		sleep 2
	done
	echo "# the list user's 20 videos: $list_done finished after $(($(date +%s) - t0)) s (the stack's runner)"
else
	echo "# the list user's 20 videos: not waited for (--quick): the list shows them queued"
fi
if [ "$stop_runner" = 1 ] && [ -x "$devstack" ]; then
	"$devstack" down runner > /dev/null 2>&1 && runner_stopped=1 &&
		echo "# the stack's runner is stopped for the run (started again at the end): nothing renders"
fi

# cancel_created: what the create cells made (queued: the runner is stopped)
cancel_created() { cancel_videos "$post_token" queued; }

# ---- one cell ----
hz=$(getconf CLK_TCK)
declare -A rps p50 p99 bad reqs cpu_line
# children_cpu: CPU seconds of this shell's reaped children so far (wrk, once it has exited),
# in $work/times.cpu.  Not in $(…): `times` there would report the subshell's.
children_cpu() {
	times > "$work/times"
	awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); s += a[1] * 60 + a[2] } printf "%.2f\n", s }' \
		"$work/times" > "$work/times.cpu"
}
# run_cell EP N C [perf]: wrk against endpoint EP at C connections with N responders running;
# prints one row; with "perf", under perf record -a -g (its data in $work/perf-EP.data).
run_cell() {
	local ep=$1 n=$2 c=$3 prof=${4:-} key="$1,$2,$3" out t url args=() cpu0 cpu1 w0 w1 wpid perf_pid=
	t=$threads
	[ "$c" -ge "$t" ] || t=$c
	case $ep in
	const) url=$bench/_bench/const ;;
	me)
		url=$bench/api/v1/me
		args=(-H "X-API-Key: $apikey")
		;;
	list)
		url="$bench/api/v1/videos?limit=20"
		args=(-H "Authorization: Bearer $list_token")
		;;
	create)
		url=$bench/api/v1/videos
		args=(-s "$here/post_video.lua")
		;;
	*) die "no endpoint $ep" ;;
	esac
	out=$work/wrk-$ep-$n-$c${prof:+-perf}.txt
	: > "$work/nginx-access.log" # nginx appends: keep /tmp from filling
	if [ -n "$prof" ]; then
		perf record -q -a -g -e cpu-clock -F "$perf_freq" -o "$work/perf-$ep.data" \
			-- sleep "$((secs + 1))" > "$work/perf-$ep.log" 2>&1 &
		perf_pid=$!
		sleep 0.5
	fi
	children_cpu
	w0=$(cat "$work/times.cpu")
	cpu0=$(cpu_snap)
	VEOGEN_BENCH_TOKEN=$post_token wrk -t "$t" -c "$c" -d "$duration" --latency "${args[@]}" "$url" \
		> "$out" 2>&1 < /dev/null &
	wpid=$!
	if [ -n "$prof" ]; then
		sleep 1
		# every thread of ours at the time, by category, for perf's samples (by thread id)
		{
			local cat p
			for cat in postgres veogen-fcgi nginx redis; do
				for p in ${cpu_roots[$cat]}; do
					printf '%s %s\n' "$cat" "$p"
					{ ps -o pid= --ppid "$p" || true; } | awk -v c="$cat" '{ print c, $1 }'
				done
			done
			printf 'wrk %s\n' "$wpid"
		} | while read -r cat p; do
			for tk in /proc/"$p"/task/*; do printf '%s %s\n' "$cat" "${tk##*/}"; done 2> /dev/null
		done > "$work/perf-$ep.tids"
	fi
	wait "$wpid" || die "wrk failed for $key: $(cat "$out")"
	cpu1=$(cpu_snap)
	children_cpu
	w1=$(cat "$work/times.cpu")
	[ -z "$perf_pid" ] || wait "$perf_pid" || die "perf record failed: $(tail -3 "$work/perf-$ep.log")"
	rps[$key]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	reqs[$key]=$(awk '/requests in/ { print $1 }' "$out")
	p50[$key]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
	p99[$key]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
	local nb errs
	nb=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
	errs=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
	bad[$key]=$((${nb:-0} + ${errs:-0}))
	# µs of CPU per request: postgres, responders (veogen-fcgi or fcgi_const), nginx, redis, wrk;
	# machine busy %
	cpu_line[$key]=$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$hz" -v n="${reqs[$key]:-0}" -v w="$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" -v ep="$ep" '
		BEGIN {
			split(a, x, " "); split(b, y, " ")
			if (n <= 0) n = 1
			f = 1e6 / hz / n
			resp = (ep == "const") ? (y[5] - x[5]) : (y[2] - x[2])
			printf "%d %d %d %d %d %d", (y[1] - x[1]) * f, resp * f, (y[3] - x[3]) * f, (y[4] - x[4]) * f, w * 1e6 / n, (y[7] - x[7] > 0) ? 100 * (y[6] - x[6]) / (y[7] - x[7]) : 0
		}')
	row "$ep" "$n" "$c" "${prof:+perf}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
header() {
	printf '%-7s %4s %5s %7s %6s %8s %8s %6s | %6s %6s %6s %6s %6s | %5s  %s\n' endpoint resp conns 'req/s' \
		'/const' 'p50 ms' 'p99 ms' 'not2xx' pg resp nginx redis wrk busy load
	printf '%-7s %4s %5s %7s %6s %8s %8s %6s | %34s | %5s\n' '' '' '' '' '' '' '' '' \
		'µs of CPU per request' ''
}
row() {
	local key="$1,$2,$3" pg rs ng rd wk busy
	read -r pg rs ng rd wk busy <<< "${cpu_line[$key]}"
	printf '%-7s %4s %5s %7s %6s %8s %8s %6s | %6s %6s %6s %6s %6s | %4s%%  %s%s\n' "$1" "$2" "$3" "${rps[$key]}" \
		"$(ratio "${rps[$key]}" "${rps[const,$2,$3]:-0}")" "${p50[$key]}" "${p99[$key]}" "${bad[$key]}" \
		"$pg" "$rs" "$ng" "$rd" "$wk" "$busy" "$(loadavg)" "${4:+  (under perf)}"
	if [ "${bad[$key]}" -gt 0 ]; then
		echo "  WARNING: ${bad[$key]} answers were not 2xx (or sockets failed): not the happy path" >&2
	fi
}

# start_block N: fcgi_const and veogen-fcgi with N processes, fresh tokens, a short warm-up
start_block() {
	local n=$1
	const_stop
	const_start "$n"
	api_stop
	api_start "$n"
	list_token=$(auth_token login "$list_email" "$password")
	post_token=$(auth_token login "$post_email" "$password")
	curl -fsS -o /dev/null "$bench/_bench/const" || die "GET /_bench/const failed: $(tail -3 "$work/nginx-error.log")"
	curl -fsS -o /dev/null -H "X-API-Key: $apikey" "$bench/api/v1/me" || die "GET /api/v1/me through the bench's nginx failed"
	# every responder opens its connections and prepares its statements
	wrk -t 1 -c "$n" -d 1s -H "X-API-Key: $apikey" "$bench/api/v1/me" > /dev/null 2>&1 || true
	wrk -t 1 -c "$n" -d 1s -H "Authorization: Bearer $list_token" "$bench/api/v1/videos?limit=20" > /dev/null 2>&1 || true
	cpu_roots=([postgres]="$pg_master" [veogen-fcgi]="$api_master" [nginx]="$(bench_nginx)"
		[redis]="$stack_redis" [fcgi_const]="$const_pid")
}

# ---- the matrix ----
t_start=$(date +%s)
echo
echo "## the matrix: req/s, /const = req/s ÷ fcgi_const's at the same responders and connections"
header
for n in $responders_list; do
	start_block "$n"
	# fcgi_const next to the cells it is the floor of: on a shared host the load moves
	for c in $conns_list; do
		for ep in const $endpoints; do
			run_cell "$ep" "$n" "$c"
		done
	done
	if [[ " $endpoints " == *" create "* ]]; then
		read -r ok total < <(cancel_created) || true
		echo "  (cancelled ${ok:-0} of ${total:-0} videos the create cells made; load $(loadavg))"
	fi
done
echo "# the matrix took $(($(date +%s) - t_start)) s"

# ---- tables and knees ----
# knee_of V1 V2 …: the index (1-based) of the first value after which the next one adds
# less than knee_gain %; the last index when every step adds more.
knee_of() {
	printf '%s\n' "$@" | awk -v g="$knee_gain" '
		{ v[NR] = $1 }
		END { for (i = 1; i < NR; i++) if (v[i + 1] < v[i] * (1 + g / 100)) { print i; exit } print NR }'
}
read -ra C <<< "$conns_list"
read -ra R <<< "$responders_list"
declare -A knee_n knee_c
echo
echo "## req/s by responders (rows) and connections (columns); knee = first step that adds < $knee_gain %"
for ep in const $endpoints; do
	echo "### $ep"
	printf '%-12s' "responders"
	for c in "${C[@]}"; do printf ' %8s' "c=$c"; done
	printf '   %s\n' "knee along connections"
	best=0
	for n in "${R[@]}"; do
		printf '%-12s' "$n"
		vals=()
		for c in "${C[@]}"; do
			printf ' %8s' "${rps[$ep,$n,$c]}"
			vals+=("${rps[$ep,$n,$c]:-0}")
			[ "${rps[$ep,$n,$c]:-0}" -le "$best" ] || best=${rps[$ep,$n,$c]}
		done
		k=$(knee_of "${vals[@]}")
		printf '   c=%s (%s req/s)\n' "${C[$((k - 1))]}" "${vals[$((k - 1))]}"
	done
	printf '%-12s' "knee along N"
	for c in "${C[@]}"; do
		vals=()
		for n in "${R[@]}"; do vals+=("${rps[$ep,$n,$c]:-0}"); done
		k=$(knee_of "${vals[@]}")
		printf ' %8s' "N=${R[$((k - 1))]}"
	done
	printf '\n'
	# the knee cell: fewest connections, then fewest responders, within knee_gain % of the best
	for c in "${C[@]}"; do
		for n in "${R[@]}"; do
			if [ -z "${knee_c[$ep]:-}" ] &&
				awk -v v="${rps[$ep,$n,$c]:-0}" -v b="$best" -v g="$knee_gain" 'BEGIN { exit !(v >= b * (1 - g / 100)) }'; then
				knee_c[$ep]=$c
				knee_n[$ep]=$n
			fi
		done
	done
	echo "knee cell: ${knee_n[$ep]} responders, ${knee_c[$ep]} connections: ${rps[$ep,${knee_n[$ep]},${knee_c[$ep]}]} req/s" \
		"(best in the matrix $best; /const there $(ratio "${rps[$ep,${knee_n[$ep]},${knee_c[$ep]}]}" "${rps[const,${knee_n[$ep]},${knee_c[$ep]}]}"))"
done

# ---- profile at the knee ----
# perf_split EP: the CPU split by process and the top functions of ours, from perf-EP.data
perf_split() {
	local ep=$1 data=$work/perf-$1.data cat tids
	# -n: "overhead samples pid:comm"
	perf report -i "$data" --stdio -n --no-children -g none --sort pid 2> /dev/null |
		awk '/^#/ || NF < 3 { next } { print $2, $3 }' > "$work/perf-$ep.pids"
	# share of all samples (both CPUs over the whole recording) by category
	awk 'NR == FNR { cat[$2] = $1; next }
		{ split($2, a, ":"); tid = a[1] + 0; all += $1
		  k = (tid in cat) ? cat[tid] : (tid == 0 ? "idle" : "rest-of-host")
		  s[k] += $1 }
		END { for (k in s) printf "%s %.1f %d %d\n", k, 100 * s[k] / all, s[k], all }' \
		"$work/perf-$ep.tids" "$work/perf-$ep.pids" | sort -k2,2nr |
		awk '{ printf "%s%s %s %%", (NR > 1 ? ", " : "  CPU split (% of " $4 " perf samples over both CPUs): "), $1, $2 } END { print "" }'
	for cat in postgres veogen-fcgi nginx redis; do
		tids=$(awk -v c="$cat" '$1 == c { printf "%s%s", s, $2; s = "," }' "$work/perf-$ep.tids")
		[ -n "$tids" ] || continue
		# (--sort dso alone finds no sample with --tid here: sum dso,sym instead)
		perf report -i "$data" --stdio -n --no-children -g none --percentage relative --tid="$tids" \
			--sort dso,sym 2> /dev/null | awk '/^#/ || NF < 5 { next } { sub(/%$/, "", $1) } 1' > "$work/perf-$ep-$cat.txt"
		echo "  $cat ($(awk '{ n += $2 } END { print n + 0 }' "$work/perf-$ep-$cat.txt") samples): by library, then the top functions (self, % of its samples)"
		awk '{ d[$3] += $1 } END { for (k in d) printf "%.1f %s\n", d[k], k }' "$work/perf-$ep-$cat.txt" |
			sort -k1,1nr | awk 'NR <= 6 { printf "%s%s %s %%", (NR > 1 ? ", " : "    "), $2, $1 } END { print (NR ? "" : "    (no samples)") }'
		awk 'NR <= 8 { printf "    %6.2f %%  %-22s %s\n", $1, $3, $5 }' "$work/perf-$ep-$cat.txt"
		[ "$cat" = postgres ] || continue
		# PostgreSQL keeps its frame pointers: where the time goes with callees, past the
		# frames every statement passes through
		echo "    with callees (% of its samples): $(perf report -i "$data" --stdio --children -g none \
			--percentage relative --tid="$tids" --sort sym 2> /dev/null | awk '
			/^#/ || NF < 4 || $4 ~ /^0x/ { next }
			$4 ~ /^(_start|__libc_start|main$|PostmasterMain|ServerLoop|BackendRun|BackendStartup|PostgresMain|exec_|PortalRun|PortalStart|ProcessQuery|standard_ExecutorRun|ExecutorRun|ExecutePlan|ExecProcNode|ExecScan|ExecModifyTable|ExecInsert|ExecResult|ExecLimit|ExecIndexScan|ExecSort|ExecAgg|CommitTransaction|finish_xact_command|start_xact_command|pg_plan_queries|pg_plan_query|planner|standard_planner|subquery_planner|grouping_planner|entry_SYSCALL|do_syscall|__libc_start_call_main)/ { next }
			{ sub(/%$/, "", $1); printf "%s%s %s", (n++ ? ", " : ""), $4, $1 } n >= 8 { exit }' || true)"
	done
}
if [ "$use_perf" = 1 ]; then
	echo
	echo "## what limits it at the knee: each endpoint's knee cell again, under perf record -a -g -e cpu-clock -F $perf_freq"
	echo "   (CPU per request from /proc as above; the perf split covers the machine: idle, wrk, other processes of the host)"
	header
	for ep in $endpoints; do
		n=${knee_n[$ep]}
		c=${knee_c[$ep]}
		start_block "$n"
		run_cell "$ep" "$n" "$c" perf
		perf_split "$ep"
		if [ "$ep" = create ]; then
			read -r ok total < <(cancel_created) || true
			echo "  (cancelled ${ok:-0} of ${total:-0} videos this cell made)"
		fi
	done
fi
echo
echo "# done in $(($(date +%s) - t_start)) s after setup; load $(loadavg)"
