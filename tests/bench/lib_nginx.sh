# shellcheck shell=bash disable=SC2154,SC2034
# Sourced by the benchmarks that put load on the API (api_wrk.sh, memory.sh, api_load.sh):
# an nginx of the bench's own with the shipped site file, a veogen-fcgi of the bench's own on
# the dev stack's PostgreSQL and Redis, the stack's processes, and CPU accounting from /proc.
# The caller defines die() and sets top (the source tree), state, conf and build (as
# `contrib/devstack env` prints them) and work (its temporary directory, mode 755, removed
# by the caller).  Nothing of the stack itself is changed.
#
#   conf_get GROUP KEY            a top-level group's scalar from the stack's $conf
#   wait_socket PATH [TENTHS]     until PATH is a socket (default 10 s)
#   stack_pids                    sets pg_master (the stack's postmaster, from the lock file
#                                 of database.conninfo's socket), stack_redis, stack_fcgi
#                                 (the master) and stack_nginx (the master; else the nginx
#                                 master whose command line names $state), empty when not
#                                 found; nginx_bin (that nginx's binary, else nginx on PATH),
#                                 stack_nginx_conf and stack_nginx_workers (its
#                                 worker_processes, default 2)
#   api_conf WORKERS              prints the stack's config with listen = $work/api.sock,
#                                 socket_mode 0666, fcgi.max_requests = 0 (no recycling: the
#                                 same responders all along), fcgi.workers = WORKERS (the
#                                 stack's when empty) and every per-user limit off
#                                 (requests_per_min, creates_per_min,
#                                 registrations_per_address, max_active_jobs_per_user = 0)
#   api_start WORKERS [WRAPPER…]  starts that veogen-fcgi in the foreground (-F), under
#                                 WRAPPER (valgrind …) if given; config and log in
#                                 $work/api-WORKERS.{conf,log}; sets api_master
#   api_stop                      TERM and wait (harmless when not running)
#   nginx_start PORT SOCK WORKERS ACCESS_LOG STORAGE [EXTRA]
#                                 the bench's nginx on 127.0.0.1:PORT: contrib/nginx/veogen.conf
#                                 with /api/ on unix:SOCK, /_veogen_storage/ on STORAGE, the
#                                 file EXTRA (server-level locations) included before
#                                 `location /api/`; WORKERS worker_processes, ACCESS_LOG a path
#                                 or "off"; waits until it answers.  Files in $work/nginx*,
#                                 $work/site.conf, $work/tmp
#   nginx_stop                    QUIT… TERM of the bench's nginx (harmless when not running)
#   cpu_snap                      CPU clock ticks so far of the processes named in cpu_roots
#                                 (an associative array: postgres, veogen-fcgi, nginx, redis,
#                                 fcgi_const → space-separated pids; each pid with its children,
#                                 and what its exited children used), and the machine's busy
#                                 and total ticks.  Only these processes: other stacks on the
#                                 same host are not counted.
#   cpu_report BEFORE AFTER       "  cpu s: postgres 1.2, … machine busy x of y" over a run
#   to_ms 812.00us|3.21ms|1.02s   → milliseconds
#   cancel_videos TOKEN STATUS…   cancels a user's videos in those states (api_wrk, api_load)
#   auth_token register|login EMAIL PASSWORD
#                                 an access token from the stack's API
#
# (SC2154, SC2034: the variables above come from the caller, and those set here are for it.)

conf_get() {
	[ -r "$conf" ] || return 0
	awk -v g="$1" -v k="$2" '
		$0 ~ "^[[:space:]]*" g "[[:space:]]*[:=][[:space:]]*[{]" { ing = 1; next }
		ing && /^[[:space:]]*[}]/ { ing = 0 }
		ing && $0 ~ "^[[:space:]]*" k "[[:space:]]*=" {
			sub(/#.*/, ""); sub(/^[^=]*=[[:space:]]*/, ""); sub(/[[:space:]]*;.*/, "")
			gsub(/"/, ""); print; exit
		}' "$conf"
}

wait_socket() {
	local i
	for i in $(seq "${2:-100}"); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# pid_of FILE COMM: the pid in FILE when it runs a program called COMM
pid_of() {
	local p
	[ -r "$1" ] || return 0
	p=$(head -1 "$1")
	[[ $p =~ ^[0-9]+$ ]] || return 0
	[ "$(cat "/proc/$p/comm" 2> /dev/null)" = "$2" ] && printf '%s' "$p"
	return 0
}

pg_master=
stack_redis=
stack_fcgi=
stack_nginx=
stack_nginx_conf=
stack_nginx_workers=2
nginx_bin=
stack_pids() {
	local conninfo pg_host pg_port bin
	conninfo=$(conf_get database conninfo)
	pg_host=$(printf '%s\n' "$conninfo" | sed -n 's/.*host=\([^ ]*\).*/\1/p')
	pg_port=$(printf '%s\n' "$conninfo" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
	pg_master=
	[ -n "$pg_host" ] && pg_master=$(pid_of "$pg_host/.s.PGSQL.${pg_port:-5432}.lock" postgres)
	stack_redis=$(pid_of "$state/run/redis.pid" redis-server)
	stack_fcgi=$(pid_of "$state/run/fcgi.pid" veogen-fcgi)
	# The stack's nginx: of several masters, the one whose command line names the state
	# directory (devstack starts it with -c STATE/nginx/nginx.conf).
	stack_nginx=
	bin=
	stack_nginx_conf=
	read -r stack_nginx bin stack_nginx_conf < <(ps -eo pid=,args= | awk -v st="$state" '
		$2 == "nginx:" && $3 == "master" {
			cf = ""
			for (i = 6; i < NF; i++) if ($i == "-c") cf = $(i + 1)
			line = $1 " " $5 " " cf
			if (index($0, st) > 0) { best = line; exit }
			if (first == "") first = line
		}
		END { print (best != "" ? best : first) }') || true
	# a master of another stack is not ours to account for
	if [ -z "$stack_nginx_conf" ] || [ "${stack_nginx_conf#"$state"}" = "$stack_nginx_conf" ]; then
		stack_nginx=
	fi
	nginx_bin=$(command -v "${bin:-nginx}" || echo /usr/sbin/nginx)
	stack_nginx_workers=
	if [ -n "$stack_nginx_conf" ] && [ -r "$stack_nginx_conf" ]; then
		stack_nginx_workers=$(awk '$1 == "worker_processes" { sub(/;.*/, "", $2); print $2; exit }' \
			"$stack_nginx_conf")
	fi
	stack_nginx_workers=${stack_nginx_workers:-2}
}

api_conf() {
	awk -v sock="$work/api.sock" -v workers="$1" '
		/^[[:space:]]*limits[[:space:]]*[:=]/ { skip = 1 }
		skip { if ($0 ~ /^[[:space:]]*}/) skip = 0; next }
		/^[[:space:]]*fcgi[[:space:]]*[:=]/ { infcgi = 1 }
		infcgi && /^[[:space:]]*(listen|socket_mode|max_requests)[[:space:]]*=/ { next }
		infcgi && workers != "" && /^[[:space:]]*workers[[:space:]]*=/ { next }
		infcgi && /^[[:space:]]*}/ {
			print "  listen = \"" sock "\";"
			print "  socket_mode = \"0666\";"
			print "  max_requests = 0;"
			if (workers != "") print "  workers = " workers ";"
			infcgi = 0
		}
		{ print }
		END { print "limits: {\n  requests_per_min = 0;\n  creates_per_min = 0;\n  registrations_per_address = 0;\n  max_active_jobs_per_user = 0;\n};" }' \
		"$conf"
}

api_master=
api_start() {
	local workers=$1 tag=${1:-stack}
	shift
	api_conf "$workers" > "$work/api-$tag.conf"
	"$build/veogen-fcgi" -t -c "$work/api-$tag.conf" > /dev/null ||
		die "the bench's copy of $conf is not valid: see $work/api-$tag.conf"
	rm -f "$work/api.sock"
	VEOGEN_RATE_LIMIT_PER_MIN=0 "$@" "$build/veogen-fcgi" -c "$work/api-$tag.conf" -F \
		2> "$work/api-$tag.log" &
	api_master=$!
	wait_socket "$work/api.sock" 600 ||
		die "the bench's veogen-fcgi did not start: $(tail -5 "$work/api-$tag.log")"
}

api_stop() {
	[ -n "$api_master" ] || return 0
	kill "$api_master" 2> /dev/null || true
	wait "$api_master" 2> /dev/null || true
	api_master=
}

nginx_start() {
	local port=$1 sock=$2 workers=$3 access=$4 store=$5 extra=${6:-} user_line=''
	awk -v port="$port" -v sock="$sock" -v store="${store%/}/" -v extra="$extra" '
		/^[[:space:]]*listen 80;/ { sub(/listen 80;/, "listen 127.0.0.1:" port ";"); listened = 1 }
		{ gsub(/unix:\/run\/veogen\/fcgi\.sock/, "unix:" sock) }
		/alias \/var\/lib\/veogen\/;/ { sub(/alias \/var\/lib\/veogen\/;/, "alias " store ";") }
		extra != "" && /^[[:space:]]*location \/api\/ [{]/ && !added { print "\tinclude " extra ";"; added = 1 }
		{ print }
		END { if (!listened || (extra != "" && !added)) exit 1 }' \
		"$top/contrib/nginx/veogen.conf" > "$work/site.conf" ||
		die "contrib/nginx/veogen.conf no longer has 'listen 80;' and 'location /api/ {' to build on"
	[ "$(id -u)" -eq 0 ] && user_line="user root root;"
	mkdir -p "$work/tmp"
	cat > "$work/nginx.conf" << EOF
$user_line
worker_processes $workers;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
	default_type application/octet-stream;
	access_log $access;
	sendfile on;
	server_tokens off;
	client_body_temp_path $work/tmp/body;
	fastcgi_temp_path $work/tmp/fastcgi;
	proxy_temp_path $work/tmp/proxy;
	uwsgi_temp_path $work/tmp/uwsgi;
	scgi_temp_path $work/tmp/scgi;
	include $work/site.conf;
}
EOF
	"$nginx_bin" -p "$work/" -c "$work/nginx.conf" -e "$work/nginx-error.log" ||
		die "the bench's nginx did not start: $(tail -3 "$work/nginx-error.log")"
	for _ in $(seq 50); do
		[ -s "$work/nginx.pid" ] && (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return 0
		sleep 0.1
	done
	die "the bench's nginx does not listen on 127.0.0.1:$port: $(tail -3 "$work/nginx-error.log")"
}

# bench_nginx: the pid of the bench's nginx master (empty when it does not run)
bench_nginx() { pid_of "$work/nginx.pid" nginx; }

nginx_stop() {
	local p
	p=$(bench_nginx) || true
	[ -n "$p" ] || return 0
	kill "$p" 2> /dev/null || true
	for _ in $(seq 50); do
		[ -d "/proc/$p" ] || return 0
		sleep 0.1
	done
}

declare -A cpu_roots=()
cpu_snap() {
	local busy roots="" k
	busy=$(awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat)
	for k in "${!cpu_roots[@]}"; do
		roots="$roots $k=$(printf '%s' "${cpu_roots[$k]}" | tr -s ' ' ',')"
	done
	{ cat /proc/[0-9]*/stat 2> /dev/null || true; } | awk -v roots="$roots" -v busy="$busy" '
		BEGIN {
			n = split(roots, r, " ")
			for (i = 1; i <= n; i++) {
				split(r[i], kv, "="); m = split(kv[2], p, ",")
				for (j = 1; j <= m; j++) if (p[j] != "") cat[p[j]] = kv[1]
			}
		}
		{
			# comm may hold spaces: count fields from the closing parenthesis
			rest = substr($0, index($0, ") ") + 2); split(rest, f, " ")
			# own time, plus that of exited children (recycled responders, closed backends)
			ticks = f[12] + f[13] + f[14] + f[15]; pid = $1; ppid = f[2]
			if (pid in cat) t[cat[pid]] += ticks
			else if (ppid in cat) t[cat[ppid]] += ticks
		}
		END { printf "%d %d %d %d %d %s\n", t["postgres"], t["veogen-fcgi"], t["nginx"], t["redis"], t["fcgi_const"], busy }'
}

cpu_report() {
	awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		n = split("postgres veogen-fcgi nginx redis fcgi_const", name, " ")
		line = "  cpu s:"
		for (i = 1; i <= n; i++) { d = (y[i] - x[i]) / hz; if (d >= 0.05) line = line sprintf(" %s %.1f,", name[i], d) }
		printf "%s machine busy %.1f of %.1f (the rest: wrk and anything else running)\n", line, (y[6] - x[6]) / hz, (y[7] - x[7]) / hz
	}'
}

to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
		printf "%.2f", n }'
}

# cancel_videos TOKEN STATUS…: cancels the user's videos in those states through $bench (work
# files in $work); prints "cancelled total"
cancel_videos() {
	local tok=$1 st page cursor n
	shift
	: > "$work/ids"
	for st in "$@"; do
		cursor=
		while :; do
			page=$(curl -fsS -G -H "Authorization: Bearer $tok" --data-urlencode "status=$st" \
				--data-urlencode limit=100 ${cursor:+--data-urlencode "cursor=$cursor"} \
				"$bench/api/v1/videos") || break
			{ printf '%s' "$page" | grep -o '"id": *"[^"]*"' || true; } |
				sed 's/.*"\([^"]*\)"$/\1/' >> "$work/ids"
			cursor=$(printf '%s' "$page" | sed -n 's/.*"next_cursor": *"\([^"]*\)".*/\1/p')
			[ -n "$cursor" ] || break
		done
	done
	n=$(sort -u "$work/ids" | wc -l)
	[ "$n" -gt 0 ] || return 0
	sort -u "$work/ids" |
		awk -v b="$bench" '{ printf "url = \"%s/api/v1/videos/%s/cancel\"\noutput = \"/dev/null\"\n", b, $0 }' \
			> "$work/cancel.cfg"
	curl -sS --parallel --parallel-max 8 -X POST -H "Authorization: Bearer $tok" \
		-w '%{http_code}\n' -K "$work/cancel.cfg" 2> "$work/cancel.err" > "$work/cancel.codes" || true
	echo "$(grep -c '^202$' "$work/cancel.codes" || true) $n"
}

# auth_token register|login EMAIL PASSWORD: the access token from POST /api/v1/auth/ACTION
# through the stack at $base (login: a fresh one; they live 15 minutes)
auth_token() {
	local ans tok
	ans=$(curl -fsS -H 'Content-Type: application/json' \
		-d "{\"email\":\"$2\",\"password\":\"$3\"}" "$base/api/v1/auth/$1") ||
		die "POST $base/api/v1/auth/$1 failed"
	tok=$(printf '%s' "$ans" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
	[ -n "$tok" ] || die "no access_token in the $1 answer: $ans"
	printf '%s' "$tok"
}
