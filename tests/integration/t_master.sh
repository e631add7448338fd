#!/usr/bin/env bash
# The veogen-fcgi master: a killed responder is replaced; SIGHUP starts a new generation
# while requests in flight complete; fcgi.max_requests recycles responders; an inherited
# socket (spawn-fcgi) works; $NOTIFY_SOCKET gets READY=1; TERM stops it and removes the
# socket file.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN
MASTER=$(pid_of fcgi) || {
	fail "veogen-fcgi is not running"
	exit 1
}
WORKERS=$(conf_value "$VEOGEN_CONF" fcgi workers)
WORKERS=${WORKERS:-4}
responders() { children_of "$MASTER" | sort; }
count_is() { [ "$(responders | wc -l)" = "$1" ]; }
expect_eq "$(responders | wc -l)" "$WORKERS" "responders running (fcgi.workers)"

echo "kill -9 of a responder"
victim=$(responders | head -n1)
kill -KILL "$victim"
replaced() { count_is "$WORKERS" && ! responders | grep -qx "$victim"; }
check "the master replaced responder $victim" wait_until 10 replaced
good=0
for i in $(seq 1 20); do
	api GET /api/v1/me
	[ "$API_STATUS" = 200 ] && good=$((good + 1))
done
expect_eq "$good" 20 "requests after the respawn answered 200"

echo "SIGHUP under load"
login_body=$(jq -cn --arg e "$A_EMAIL" --arg p "$A_PASSWORD" '{email: $e, password: $p}')
# load N: requests (a login is ~0.1 s of scrypt: always some in flight) until $IT_WORK/stop.
load() {
	local n=$1 i=0 code
	while [ ! -e "$IT_WORK/stop" ]; do
		if ((i % 2)); then
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $A_TOKEN" "$BASE/api/v1/me")
		else
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Content-Type: application/json' --data-binary "$login_body" "$BASE/api/v1/auth/login")
		fi
		printf '%s\n' "$code" >>"$IT_WORK/load.$n"
		i=$((i + 1))
	done
}
old=$(responders)
rm -f "$IT_WORK/stop" "$IT_WORK"/load.*
loaders=()
for n in 1 2 3; do
	load "$n" &
	loaders+=($!)
done
sleep 1
kill -HUP "$MASTER"
new_generation() {
	local now
	now=$(responders)
	count_is "$WORKERS" && [ -z "$(comm -12 <(printf '%s\n' "$old") <(printf '%s\n' "$now"))" ]
}
check "a new generation of $WORKERS responders replaced the old one" wait_until 30 new_generation
old_gone() {
	local p
	for p in $old; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}
check "the old responders drained and exited" wait_until 30 old_gone
sleep 1
touch "$IT_WORK/stop"
wait "${loaders[@]}"
total=$(cat "$IT_WORK"/load.* | wc -l)
bad=$(cat "$IT_WORK"/load.* | grep -cv '^200$')
check "requests ran during the reload ($total)" test "$total" -ge 20
expect_eq "$bad" 0 "requests that failed during the reload (codes: $(sort "$IT_WORK"/load.* | uniq -c | tr '\n' ' '))"
check "the master is the same process" kill -0 "$MASTER"

# A veogen-fcgi of our own for the rest: its own socket and config.
PRIVATE_CONF=$IT_WORK/private.conf
PRIVATE_SOCK=$IT_WORK/private.sock
cp "$VEOGEN_CONF" "$PRIVATE_CONF"
conf_set "$PRIVATE_CONF" fcgi listen "\"$PRIVATE_SOCK\""
conf_set "$PRIVATE_CONF" fcgi workers 2
conf_set "$PRIVATE_CONF" fcgi max_requests 5
conf_set "$PRIVATE_CONF" log level '"info"'
on_exit private_fcgi_stop

echo "fcgi.max_requests = 5"
private_fcgi_start "$PRIVATE_CONF"
check "private veogen-fcgi created its socket" wait_until 10 test -S "$PRIVATE_SOCK"
wait_until 10 eval '[ "$(children_of "$PRIVATE_FCGI_PID" | wc -l)" = 2 ]'
first=$(children_of "$PRIVATE_FCGI_PID" | sort)
good=0
for i in $(seq 1 20); do
	fcgi_request "$PRIVATE_SOCK" GET /healthz
	[ "$FC_STATUS" = 200 ] && good=$((good + 1))
done
expect_eq "$good" 20 "20 requests straight to the socket answered 200"
wait_until 10 eval '[ "$(children_of "$PRIVATE_FCGI_PID" | wc -l)" = 2 ]'
now=$(children_of "$PRIVATE_FCGI_PID" | sort)
check "responders were replaced after 5 requests (before: $(tr '\n' ' ' <<<"$first"), after: $(tr '\n' ' ' <<<"$now"))" \
	test -n "$(comm -23 <(printf '%s\n' "$first") <(printf '%s\n' "$now"))"
expect_eq "$(children_of "$PRIVATE_FCGI_PID" | wc -l)" 2 "still 2 responders"
recycled=$(grep -c 'exited with status 0' "$IT_WORK/fcgi.log")
check "the master logged responders leaving cleanly ($recycled), not crashing" \
	eval '[ "$recycled" -ge 2 ] && ! grep -q "crashed" "$IT_WORK/fcgi.log"'
private_fcgi_stop

echo "\$NOTIFY_SOCKET"
NOTIFY_SOCK=$IT_WORK/notify.sock
perl -MIO::Socket::UNIX -MSocket -e '
	my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $ARGV[0]) or die "listen: $!";
	open(my $out, ">>", $ARGV[1]) or die; $out->autoflush(1);
	while (defined $s->recv(my $buf, 4096)) { $buf =~ s/\n/ | /g; print $out "$buf\n" }' \
	"$NOTIFY_SOCK" "$IT_WORK/notify.log" &
LISTENER=$!
on_exit "kill $LISTENER 2>/dev/null"
wait_until 5 test -S "$NOTIFY_SOCK"
: >>"$IT_WORK/notify.log"
private_fcgi_start "$PRIVATE_CONF" NOTIFY_SOCKET="$NOTIFY_SOCK"
pid=$PRIVATE_FCGI_PID
check "READY=1 arrives" wait_until 10 grep -q 'READY=1' "$IT_WORK/notify.log"
fcgi_request "$PRIVATE_SOCK" GET /healthz
expect_eq "$FC_STATUS" 200 "it answers once ready"
kill -HUP "$pid"
check "SIGHUP: RELOADING=1, then READY=1 again" \
	wait_until 10 eval '[ "$(grep -c "READY=1" "$IT_WORK/notify.log")" -ge 2 ] && grep -q "RELOADING=1" "$IT_WORK/notify.log"'
kill -TERM "$pid"
check "TERM: STOPPING=1" wait_until 10 grep -q 'STOPPING=1' "$IT_WORK/notify.log"
check "TERM: it exits" wait_until 15 eval "! kill -0 $pid 2>/dev/null"
wait "$pid"
expect_eq "$?" 0 "exit status after TERM"
check "TERM: the socket file is removed" test ! -e "$PRIVATE_SOCK"
PRIVATE_FCGI_PID=""
printf '        notifications: %s\n' "$(tr '\n' '/' <"$IT_WORK/notify.log")"

echo "spawn-fcgi: the socket inherited on fd 0"
SPAWN_SOCK=$IT_WORK/spawn.sock
(exec setsid spawn-fcgi -s "$SPAWN_SOCK" -n -- "$VEOGEN_BIN_DIR/veogen-fcgi" -c "$PRIVATE_CONF" \
	>>"$IT_WORK/spawn.log" 2>&1 </dev/null) &
PRIVATE_FCGI_PID=$!
check "spawn-fcgi created $SPAWN_SOCK" wait_until 10 test -S "$SPAWN_SOCK"
spawn_ok() { fcgi_request "$SPAWN_SOCK" GET /healthz && [ "$FC_STATUS" = 200 ]; }
check "veogen-fcgi under spawn-fcgi answers /healthz" wait_until 10 spawn_ok
fcgi_request "$SPAWN_SOCK" GET /api/v1/me HTTP_AUTHORIZATION="Bearer $A_TOKEN"
expect_eq "$FC_STATUS" 200 "and an authenticated request"
check "it says it uses the inherited socket" grep -q 'inherited on fd 0' "$IT_WORK/spawn.log"
check "it did not create its configured socket" test ! -e "$PRIVATE_SOCK"
private_fcgi_stop
rm -f "$SPAWN_SOCK"

expect_no_5xx
