#!/usr/bin/env bash
# The Debian package, end to end: build it from a copy of the tree (dpkg-buildpackage -b),
# lintian (no E: lines), install it with apt-get, check its files (the web page's among
# them), modes and system user, point it at a database on the dev stack's PostgreSQL, run
# both daemons through their sysvinit scripts, a smoke test through nginx with the installed
# site (the web page at / too), status, reload, stop, then purge (twice: with stored data,
# which is kept, and without).
#
# Run as root on a machine without veogen installed, with a stack up and its settings in
# the environment:  eval "$(contrib/devstack env)"; tests/package/run.sh
# One line per step; exit status 1 on any failure.  VEOGEN_PKG_KEEP=1 keeps the work
# directory (build logs, the .deb) for a look.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
for v in VEOGEN_PG_HOST VEOGEN_PG_PORT VEOGEN_REDIS_SOCKET; do
	if [ -z "${!v:-}" ]; then
		# shellcheck disable=SC2016 # the command is shown, not run
		printf 'package: %s is not set: run with a stack up and eval "$(contrib/devstack env)" done\n' "$v" >&2
		exit 2
	fi
done

CONF=/etc/veogen/veogen.conf
DB=veogen_pkg_$$
WORK=""
RELAY=""
RELAY_PIDS=()
NGINX_CONF=""
CREATED_USER=0
DB_CREATED=0
export DEBIAN_FRONTEND=noninteractive

step() { printf 'package: %-44s %s\n' "$1" "$2"; }
die() {
	step "$1" "FAILED: $2"
	exit 1
}

# expect_stat PATH OWNER:GROUP MODE: the path's owner, group and octal mode.
expect_stat() {
	local got
	got=$(stat -c '%U:%G %a' "$1" 2>/dev/null) || die "files" "$1 is missing"
	[ "$got" = "$2 $3" ] || die "files" "$1 is $got, expected $2 $3"
}

pid_of() { head -n1 "/run/$1.pid" 2>/dev/null; }

alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && [ "$(sed -e 's/^.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; }

psql_admin() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 \
		"host=$VEOGEN_PG_HOST port=$VEOGEN_PG_PORT user=postgres dbname=postgres" "$@"
}

psql_db() {
	psql -X -q -At -v ON_ERROR_STOP=1 \
		"host=$VEOGEN_PG_HOST port=$VEOGEN_PG_PORT user=postgres dbname=$DB" "$@"
}

# The pids of the packaged daemons (by executable: other stacks may run their own builds).
packaged_pids() {
	local d
	for d in /proc/[0-9]*; do
		case $(readlink "$d/exe" 2>/dev/null) in
		/usr/sbin/veogen-fcgi | /usr/sbin/veogen-runner) printf '%s ' "${d#/proc/}" ;;
		esac
	done
}

installed() { dpkg-query -W -f='${db:Status-Status}' veogen 2>/dev/null | grep -qx installed; }

cleanup() {
	local rc=$? p
	set +e
	for p in veogen-runner veogen-fcgi; do
		[ -x "/etc/init.d/$p" ] && alive "$(pid_of "$p")" && "/etc/init.d/$p" stop >/dev/null 2>&1
	done
	if [ -n "$NGINX_CONF" ] && [ -s "$WORK/nginx/nginx.pid" ]; then
		nginx -c "$NGINX_CONF" -s stop 2>/dev/null
	fi
	for p in "${RELAY_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if installed || dpkg-query -W veogen >/dev/null 2>&1; then
		apt-get purge -y -q veogen >/dev/null 2>&1
	fi
	if [ "$CREATED_USER" = 1 ]; then
		rm -rf /var/lib/veogen
		getent passwd veogen >/dev/null && deluser --quiet --system veogen >/dev/null 2>&1
		getent group veogen >/dev/null && delgroup --quiet --system veogen >/dev/null 2>&1
	fi
	[ "$DB_CREATED" = 0 ] || psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	[ -z "$RELAY" ] || rm -rf "$RELAY"
	if [ "${VEOGEN_PKG_KEEP:-0}" = 1 ]; then
		[ -z "$WORK" ] || printf 'package: work directory kept: %s\n' "$WORK"
	else
		[ -z "$WORK" ] || rm -rf "$WORK"
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- preconditions

[ "$(id -u)" -eq 0 ] || die "preconditions" "run as root (it installs and purges a package)"
if dpkg-query -W veogen >/dev/null 2>&1 || getent passwd veogen >/dev/null; then
	die "preconditions" "veogen (package or user) is already on this machine; the test installs and purges its own"
fi
for c in dpkg-buildpackage lintian fakeroot dh_autoreconf nginx socat psql curl jq; do
	command -v "$c" >/dev/null ||
		die "preconditions" "$c is missing: apt-get install debhelper dh-autoreconf lintian fakeroot nginx-light socat postgresql-client curl jq"
done
trap cleanup EXIT
WORK=$(mktemp -d /tmp/veogen-pkg.XXXXXX)
step "preconditions" ok

# ---------------------------------------------------------------- build

# The tree as git sees it (tracked and new files, no build output), debian/ in place.
mkdir -p "$WORK/veogen"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	# shellcheck disable=SC2016 # the sh -c text is expanded by that sh
	(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -C "$WORK/veogen" -xf -
else
	tar -C "$SRC" --exclude=.git --exclude='.devstack*' --exclude=autom4te.cache \
		--exclude=config.status --exclude=node_modules -cf - . | tar -C "$WORK/veogen" -xf -
fi
[ -d "$WORK/veogen/contrib/debian" ] || die "copy" "contrib/debian is missing from the copy of $SRC"
cp -a "$WORK/veogen/contrib/debian" "$WORK/veogen/debian"
step "copy of the tree" ok

# The unit tests run in devstack's own steps; here only the packaging is under test.
if ! (cd "$WORK/veogen" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -b -us -uc) \
	>"$WORK/build.log" 2>&1; then
	tail -n 40 "$WORK/build.log" >&2
	die "dpkg-buildpackage -b -us -uc" "see the lines above ($WORK/build.log)"
fi
DEB=$(ls "$WORK"/veogen_*.deb)
step "dpkg-buildpackage -b -us -uc" "ok ($(basename "$DEB"))"

lintian --tag-display-limit 0 "$DEB" >"$WORK/lintian.log" 2>&1 || true
if grep -q '^E:' "$WORK/lintian.log"; then
	grep '^E:' "$WORK/lintian.log" >&2
	die "lintian" "errors above"
fi
step "lintian" "ok (no errors, $(grep -c '^W:' "$WORK/lintian.log" || true) warnings)"

# ---------------------------------------------------------------- install

(cd "$WORK" && apt-get install -y -q --no-install-recommends "./$(basename "$DEB")") \
	>"$WORK/install.log" 2>&1 || {
	tail -n 30 "$WORK/install.log" >&2
	die "apt-get install" "see the lines above"
}
CREATED_USER=1
step "apt-get install ./$(basename "$DEB")" ok

# The system user, then what the package installed and what the postinst made.
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd veogen) || die "user" "no user veogen"
[ "$uid" -lt 1000 ] || die "user" "veogen has uid $uid, not a system uid"
[ "$home" = /var/lib/veogen ] || die "user" "veogen's home is $home"
[ "$shell" = /usr/sbin/nologin ] || die "user" "veogen's shell is $shell"
[ "$(id -gn veogen)" = veogen ] || die "user" "veogen's group is $(id -gn veogen)"
step "system user veogen" "ok (uid $uid)"

expect_stat "$CONF" root:veogen 640
expect_stat /etc/veogen/jwt.secret root:veogen 640
grep -qxE '[0-9a-f]{64}' /etc/veogen/jwt.secret || die "files" "jwt.secret is not 64 hex digits"
expect_stat /var/lib/veogen veogen:www-data 2750
expect_stat /var/log/veogen root:adm 2750
expect_stat /run/veogen veogen:www-data 2750
for f in veogen-fcgi veogen-runner veogenctl veogen-cleanup veogen-rollup; do
	expect_stat "/usr/sbin/$f" root:root 755
done
for f in /etc/init.d/veogen-fcgi /etc/init.d/veogen-runner; do expect_stat "$f" root:root 755; done
for f in /lib/systemd/system/veogen-fcgi.service /lib/systemd/system/veogen-runner.service \
	/usr/lib/tmpfiles.d/veogen.conf /etc/default/veogen /etc/cron.d/veogen \
	/etc/logrotate.d/veogen /etc/rsyslog.d/veogen.conf /usr/share/veogen/nginx/veogen.conf \
	/usr/share/veogen/apache/veogen.conf /usr/share/veogen/sql/0001_init.sql \
	/usr/share/man/man8/veogen-fcgi.8.gz /usr/share/man/man8/veogenctl.8.gz \
	/usr/share/man/man5/veogen.conf.5.gz /usr/share/doc/veogen/README.Debian; do
	expect_stat "$f" root:root 644
done
# The web page: every file of contrib/www (of the tree that was packaged), byte for byte,
# in the same tree, and nothing else.
WWW=/usr/share/veogen/www
PKG_WWW=$WORK/veogen/contrib/www
nwww=0
while IFS= read -r -d '' f; do
	rel=${f#"$PKG_WWW"/}
	expect_stat "$WWW/$rel" root:root 644
	cmp -s "$f" "$WWW/$rel" || die "files" "$WWW/$rel differs from contrib/www/$rel"
	nwww=$((nwww + 1))
done < <(find "$PKG_WWW" -type f ! -name '.*' -print0)
[ "$nwww" -gt 0 ] || die "files" "no files under contrib/www"
extra=$(cd "$WWW" && find . -type f | sed 's|^\./||' | while IFS= read -r f; do
	[ -f "$PKG_WWW/$f" ] || printf '%s ' "$f"
done)
[ -z "$extra" ] || die "files" "$WWW holds files contrib/www does not: $extra"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' veogen)
for f in "$CONF" /etc/default/veogen /etc/init.d/veogen-fcgi /etc/cron.d/veogen; do
	grep -q " $f " <<<"$conffiles" || die "files" "$f is not a conffile"
done
step "files, modes, owners, conffiles" "ok ($nwww files of the web page)"

# The units as systemd reads them (no systemd runs here: verify works offline and names
# unknown directives, missing programs and man pages).
if command -v systemd-analyze >/dev/null; then
	units=(/lib/systemd/system/veogen-fcgi.service /lib/systemd/system/veogen-runner.service)
	out=$(systemd-analyze verify "${units[@]}" 2>&1) || die "systemd-analyze verify" "$out"
	[ -z "$out" ] || die "systemd-analyze verify" "$out"
	step "systemd-analyze verify (both units)" ok
else
	step "systemd-analyze verify (both units)" "skipped (no systemd-analyze on this machine)"
fi

# Installed disabled: nothing runs, and no runlevel starts it.
for p in veogen-fcgi veogen-runner; do
	[ ! -e "/run/$p.pid" ] || die "nothing started" "/run/$p.pid exists after installation"
	! ls /etc/rc[2345].d/S*"$p" >/dev/null 2>&1 || die "nothing started" "$p has start links"
	ls /etc/rc2.d/K*"$p" >/dev/null 2>&1 || die "nothing started" "$p is not registered (update-rc.d)"
done
[ -z "$(packaged_pids)" ] || die "nothing started" "veogen daemons run: pids $(packaged_pids)"
step "installed disabled, nothing started" ok

# ---------------------------------------------------------------- database

# The stack's sockets are 0700 and their directories private to the stack's users; the
# daemons (user veogen) reach them through a relay root runs, or directly when they can.
RELAY=$(mktemp -d /tmp/veogen-pkg-relay.XXXXXX)
chmod 0755 "$RELAY"
pg_sock=$VEOGEN_PG_HOST/.s.PGSQL.$VEOGEN_PG_PORT
psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB OWNER veogen" ||
	die "database" "cannot create $DB on $VEOGEN_PG_HOST (is the stack up?)"
DB_CREATED=1
pg_dir=$VEOGEN_PG_HOST
if ! runuser -u veogen -- psql -X -At "host=$VEOGEN_PG_HOST port=$VEOGEN_PG_PORT user=veogen dbname=$DB" \
	-c 'SELECT 1' >/dev/null 2>&1; then
	socat "UNIX-LISTEN:$RELAY/.s.PGSQL.$VEOGEN_PG_PORT,fork,user=veogen,mode=600" \
		"UNIX-CONNECT:$pg_sock" &
	RELAY_PIDS+=($!)
	pg_dir=$RELAY
fi
redis_sock=$VEOGEN_REDIS_SOCKET
if ! runuser -u veogen -- test -w "$VEOGEN_REDIS_SOCKET" 2>/dev/null; then
	socat "UNIX-LISTEN:$RELAY/redis.sock,fork,user=veogen,mode=600" \
		"UNIX-CONNECT:$VEOGEN_REDIS_SOCKET" &
	RELAY_PIDS+=($!)
	redis_sock=$RELAY/redis.sock
fi
for ((i = 0; i < 50; i++)); do
	runuser -u veogen -- psql -X -At "host=$pg_dir port=$VEOGEN_PG_PORT user=veogen dbname=$DB" \
		-c 'SELECT 1' >/dev/null 2>&1 && break
	sleep 0.1
done
[ "$i" -lt 50 ] || die "database" "user veogen cannot connect through $pg_dir"
# Only the database and Redis lines of the shipped config change.
sed -i -e "s|^\([[:space:]]*conninfo = \)\"dbname=veogen\";|\1\"host=$pg_dir port=$VEOGEN_PG_PORT user=veogen dbname=$DB\";|" \
	-e "s|^\([[:space:]]*socket = \)\"\";\( *# unix socket path\)|\1\"$redis_sock\";\2|" "$CONF"
if ! grep -q "dbname=$DB\"" "$CONF" || ! grep -q "socket = \"$redis_sock\"" "$CONF"; then
	die "database" "$CONF no longer has 'conninfo = \"dbname=veogen\";' and 'socket = \"\";' to change"
fi
expect_stat "$CONF" root:veogen 640
step "database $DB" "ok (veogen connects $([ "$pg_dir" = "$RELAY" ] && echo 'through a relay' || echo directly))"

runuser -u veogen -- veogenctl -c "$CONF" migrate >"$WORK/migrate.log" 2>&1 || {
	cat "$WORK/migrate.log" >&2
	die "veogenctl migrate" "see the lines above"
}
tables=$(psql_db -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
[ "$(psql_db -c "SELECT to_regclass('usage_rollups') IS NOT NULL")" = t ] ||
	die "veogenctl migrate" "the last migration (usage_rollups) is not applied"
step "veogenctl migrate (/usr/share/veogen/sql)" "ok ($tables tables)"

# ---------------------------------------------------------------- the daemons

# start_daemon NAME LOGLINE: the init script's start returns 0 only after READY=1 (the
# daemon logs LOGLINE before it sends it), so the line is there when start returns.
start_daemon() {
	local p=$1 pid
	"/etc/init.d/$p" start >"$WORK/$p.start" 2>&1 || {
		cat "$WORK/$p.start" "/var/log/veogen/$p.log" >&2
		die "/etc/init.d/$p start" "status $?"
	}
	pid=$(pid_of "$p")
	alive "$pid" || die "/etc/init.d/$p start" "pid '$pid' of /run/$p.pid is not running"
	[ "$(readlink "/proc/$pid/exe")" = "/usr/sbin/$p" ] || die "/etc/init.d/$p start" "pid $pid is not /usr/sbin/$p"
	[ "$(stat -c %U "/proc/$pid")" = veogen ] || die "/etc/init.d/$p start" "$p runs as $(stat -c %U "/proc/$pid")"
	tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^NOTIFY_SOCKET=' ||
		die "/etc/init.d/$p start" "no NOTIFY_SOCKET: start did not wait for READY=1"
	grep -q "generation 1 started" "/var/log/veogen/$p.log" ||
		die "/etc/init.d/$p start" "start returned before the workers were up"
	step "/etc/init.d/$p start" "ok (pid $pid, ready)"
}
# The negative case: a runner whose database never answers never sends READY=1, so start
# must wait the 30 s out, fail, and leave nothing running.
sed -e 's|^\([[:space:]]*conninfo = \)".*";|\1"host=/nonexistent dbname=veogen";|' "$CONF" >/etc/veogen/deaddb.conf
chown root:veogen /etc/veogen/deaddb.conf
chmod 0640 /etc/veogen/deaddb.conf
sed -i 's|^VEOGEN_CONF=.*|VEOGEN_CONF=/etc/veogen/deaddb.conf|' /etc/default/veogen
t0=$SECONDS
rc=0
/etc/init.d/veogen-runner start >"$WORK/deaddb.start" 2>&1 || rc=$?
waited=$((SECONDS - t0))
sed -i 's|^VEOGEN_CONF=.*|VEOGEN_CONF=/etc/veogen/veogen.conf|' /etc/default/veogen
rm -f /etc/veogen/deaddb.conf
[ "$rc" != 0 ] || die "start without a database" "status 0: start did not wait for READY=1"
[ "$waited" -ge 29 ] || die "start without a database" "failed after ${waited}s, before the 30 s timeout"
if [ -e /run/veogen-runner.pid ] || [ -n "$(packaged_pids)" ]; then
	die "start without a database" "a runner is left running: pids $(packaged_pids)"
fi
step "start without a database" "ok (failed after ${waited}s, nothing left)"

start_daemon veogen-fcgi
expect_stat /run/veogen/fcgi.sock veogen:www-data 660
start_daemon veogen-runner

# ---------------------------------------------------------------- nginx

# A private nginx (workers as www-data, like Debian's) with the installed site; only its
# listen line changes.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx/tmp"
chown www-data "$WORK/nginx/tmp"
chmod 0755 "$WORK"
sed -e "s|^\([[:space:]]*\)listen 80;|\1listen 127.0.0.1:$port;|" \
	/usr/share/veogen/nginx/veogen.conf >"$WORK/nginx/site.conf"
changed=$(diff /usr/share/veogen/nginx/veogen.conf "$WORK/nginx/site.conf" | grep -c '^>' || true)
[ "$changed" = 1 ] || die "nginx" "the site's 'listen 80;' line was not found once ($changed changes)"
NGINX_CONF=$WORK/nginx/nginx.conf
cat >"$NGINX_CONF" <<NGINX
user www-data;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 64; }
http {
	access_log $WORK/nginx/access.log;
	client_body_temp_path $WORK/nginx/tmp/body;
	fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
	proxy_temp_path $WORK/nginx/tmp/proxy;
	uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
	scgi_temp_path $WORK/nginx/tmp/scgi;
	include $WORK/nginx/site.conf;
}
NGINX
nginx -t -q -c "$NGINX_CONF" 2>"$WORK/nginx/test.log" || {
	cat "$WORK/nginx/test.log" >&2
	die "nginx" "the installed site does not load"
}
nginx -c "$NGINX_CONF" || die "nginx" "did not start (see $WORK/nginx/error.log)"
step "nginx with /usr/share/veogen/nginx/veogen.conf" "ok (127.0.0.1:$port)"

# The smoke test uses the integration suite's helpers, in a subshell (their own trap and
# counts): exit status 1 when a check failed.
smoke() {
	(
		export VEOGEN_BASE_URL=http://127.0.0.1:$port
		# shellcheck source=tests/integration/lib.sh
		. "$SRC/tests/integration/lib.sh"
		TOKEN="" api GET /healthz ""
		expect_status 200 "health"
		register_user || exit 1
		api GET /api/v1/me ""
		expect_status 200 "me"
		expect_json .email "$USER_EMAIL"
		[ "${1:-}" = video ] || exit 0
		# A download: nginx (www-data) reads the runner's file from /var/lib/veogen.
		create_video '{"prompt": "a package test", "duration_seconds": 4}' || exit 1
		wait_video_done "$VIDEO_ID" 120
		expect_eq "$VIDEO_STATUS" succeeded "video $VIDEO_ID"
		api GET "/api/v1/videos/$VIDEO_ID/content" ""
		expect_status 200 "content through X-Accel-Redirect"
		check "an MP4 of some size" test "$(stat -c %s "$API_BODY")" -gt 1000
	) >"$WORK/smoke.log" 2>&1
}
if ! smoke video; then
	cat "$WORK/smoke.log" >&2
	tail -n 20 /var/log/veogen/veogen-fcgi.log /var/log/veogen/veogen-runner.log "$WORK/nginx/error.log" >&2
	die "smoke through nginx" "see the lines above"
fi
step "smoke through nginx" "ok ($(grep -c '^  ok' "$WORK/smoke.log") checks: healthz, register, me, video download)"

# The web page through the installed site: nginx's workers (www-data) read the installed
# files; types and security headers as the site sets them; a missing file is a 404 in the
# API's format.
# page PATH TYPE_REGEX: 200, the type, the installed file's bytes, the CSP and nosniff.
page() {
	local code
	code=$(curl -s -o "$WORK/page.body" -D "$WORK/page.headers" -w '%{http_code}' --max-time 10 \
		"http://127.0.0.1:$port$1") || code=000
	[ "$code" = 200 ] || die "web page through nginx" "GET $1: HTTP $code"
	grep -qiE "^content-type: $2" "$WORK/page.headers" ||
		die "web page through nginx" "GET $1: $(grep -i '^content-type' "$WORK/page.headers" | tr -d '\r')"
	grep -qi "^content-security-policy: default-src 'self'" "$WORK/page.headers" ||
		die "web page through nginx" "GET $1: no Content-Security-Policy"
	grep -qi '^x-content-type-options: nosniff' "$WORK/page.headers" ||
		die "web page through nginx" "GET $1: no X-Content-Type-Options: nosniff"
}
page / 'text/html'
cmp -s "$WORK/page.body" "$WWW/index.html" || die "web page through nginx" "GET / is not $WWW/index.html"
page /js/app.js 'text/javascript'
cmp -s "$WORK/page.body" "$WWW/js/app.js" || die "web page through nginx" "GET /js/app.js is not $WWW/js/app.js"
page /css/app.css 'text/css'
page /favicon.svg 'image/svg\+xml'
code=$(curl -s -o "$WORK/page.body" -D "$WORK/page.headers" -w '%{http_code}' --max-time 10 \
	"http://127.0.0.1:$port/js/nope.js") || code=000
if [ "$code" != 404 ] || ! grep -qi '^content-type: application/problem+json' "$WORK/page.headers"; then
	die "web page through nginx" "GET /js/nope.js: HTTP $code, not a problem+json 404"
fi
step "web page through nginx" "ok (/, js, css, favicon; a missing file is problem+json 404)"

# ---------------------------------------------------------------- status, reload, stop

for p in veogen-fcgi veogen-runner; do
	"/etc/init.d/$p" status >/dev/null || die "/etc/init.d/$p status" "status $? while running"
	step "/etc/init.d/$p status" ok

	pid=$(pid_of "$p")
	"/etc/init.d/$p" reload >/dev/null || die "/etc/init.d/$p reload" "status $?"
	for ((i = 0; i < 100; i++)); do
		grep -q "generation 2 started" "/var/log/veogen/$p.log" && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || die "/etc/init.d/$p reload" "no new generation after HUP"
	if [ "$(pid_of "$p")" != "$pid" ] || ! alive "$pid"; then
		die "/etc/init.d/$p reload" "the master changed or died"
	fi
	step "/etc/init.d/$p reload" "ok (generation 2)"
done
smoke || {
	cat "$WORK/smoke.log" >&2
	die "smoke after reload" "see the lines above"
}
step "smoke after reload" ok

for p in veogen-runner veogen-fcgi; do
	pid=$(pid_of "$p")
	"/etc/init.d/$p" stop >/dev/null || die "/etc/init.d/$p stop" "status $?"
	! alive "$pid" || die "/etc/init.d/$p stop" "pid $pid still runs"
	[ ! -e "/run/$p.pid" ] || die "/etc/init.d/$p stop" "/run/$p.pid is left"
	rc=0
	"/etc/init.d/$p" status >/dev/null 2>&1 || rc=$?
	[ "$rc" = 3 ] || die "/etc/init.d/$p status" "status $rc once stopped, expected 3"
	step "/etc/init.d/$p stop" ok
done
[ -z "$(packaged_pids)" ] || die "stop" "veogen processes are left: pids $(packaged_pids)"
[ ! -e /run/veogen/fcgi.sock ] || die "stop" "/run/veogen/fcgi.sock is left"
nginx -c "$NGINX_CONF" -s stop 2>/dev/null
NGINX_CONF=""

# ---------------------------------------------------------------- purge

# removed PATH...: none of them exists any more.
removed() {
	local f
	for f in "$@"; do [ ! -e "$f" ] || die "apt-get purge" "$f is left"; done
}
purge_removed_common() {
	removed /etc/veogen /etc/default/veogen /etc/init.d/veogen-fcgi /etc/init.d/veogen-runner \
		/lib/systemd/system/veogen-fcgi.service /usr/lib/tmpfiles.d/veogen.conf \
		/etc/cron.d/veogen /etc/logrotate.d/veogen /etc/rsyslog.d/veogen.conf /var/log/veogen \
		/run/veogen /usr/sbin/veogen-fcgi /usr/share/veogen
	! ls /etc/rc?.d/*veogen* >/dev/null 2>&1 || die "apt-get purge" "rc links are left"
	! dpkg-query -W veogen >/dev/null 2>&1 || die "apt-get purge" "dpkg still lists veogen"
}

# With stored videos: they (and the user owning them) stay.
apt-get purge -y -q veogen >"$WORK/purge.log" 2>&1 || die "apt-get purge" "status $? ($WORK/purge.log)"
purge_removed_common
if [ ! -d /var/lib/veogen ] || ! getent passwd veogen >/dev/null; then
	die "apt-get purge" "/var/lib/veogen with the stored video, or its owner veogen, was removed"
fi
step "apt-get purge (with data)" "ok (config, secret, logs, runtime dir gone; data and user kept)"

# Without data: everything goes, the user too.
rm -rf /var/lib/veogen
(cd "$WORK" && apt-get install -y -q --no-install-recommends "./$(basename "$DEB")") >>"$WORK/install.log" 2>&1 ||
	die "apt-get install (again)" "see $WORK/install.log"
apt-get purge -y -q veogen >>"$WORK/purge.log" 2>&1 || die "apt-get purge" "status $?"
purge_removed_common
removed /var/lib/veogen
! getent passwd veogen >/dev/null || die "apt-get purge" "user veogen is left"
! getent group veogen >/dev/null || die "apt-get purge" "group veogen is left"
CREATED_USER=0
step "apt-get purge (no data)" "ok (everything gone, user and group too)"
