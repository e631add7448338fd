#!/usr/bin/env bash
# PostgreSQL stopped: the API answers 503 with Retry-After as problem+json, quickly, and
# /healthz stays 200 while /readyz is 503.  PostgreSQL back: the same requests succeed within
# seconds without restarting veogen-fcgi or the runner, and a new video completes.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN
login_body=$(jq -cn --arg e "$A_EMAIL" --arg p "$A_PASSWORD" '{email: $e, password: $p}')
REQUESTS=12 # more than the responders, so every one of them is asked
responders() { children_of "$(pid_of fcgi)" | sort | tr '\n' ' '; }
runner_procs() { { pid_of runner && children_of "$(pid_of runner)"; } | sort | tr '\n' ' '; }

api GET /api/v1/videos
expect_status 200 "listing works before the outage"
fcgi_before=$(responders)
runner_before=$(runner_procs)

on_exit stack up postgres
stack down postgres
t_down=$SECONDS
check "PostgreSQL is down" eval '! psql -X -At "$VEOGEN_DB_CONNINFO" -c "SELECT 1" >/dev/null 2>&1'

slow=0 wrong=0
for i in $(seq 1 $REQUESTS); do
	t0=$(date +%s%N)
	api GET /api/v1/videos "" --max-time 6
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $ms -le 5000 ] || slow=$((slow + 1))
	if [ "$API_STATUS" != 503 ] || ! problem_shape_ok 503 || [[ ! $(header Retry-After) =~ ^[0-9]+$ ]]; then
		wrong=$((wrong + 1))
		[ $wrong = 1 ] && fail "GET /api/v1/videos while PostgreSQL is down: HTTP $API_STATUS, Retry-After '$(header Retry-After)', $(head -c 300 "$API_BODY")"
	fi
done
expect_eq "$wrong" 0 "authenticated GETs answered 503 problem+json with Retry-After ($REQUESTS tries)"
expect_eq "$slow" 0 "none of them took over 5 s"
TOKEN="" api POST /api/v1/auth/login "$login_body" --max-time 6
expect_problem 503 "login while PostgreSQL is down"
expect_header Retry-After '^[0-9]+$'
TOKEN="" api POST /api/v1/auth/register '{"email": "t-pg-down@example.com", "password": "long enough password"}' --max-time 6
expect_problem 503 "register while PostgreSQL is down"
api POST /api/v1/videos '{"prompt": "t_pg_down: during the outage", "duration_seconds": 4}' --max-time 6
expect_problem 503 "create while PostgreSQL is down"
api GET /healthz "" --max-time 6
expect_status 200 "healthz while PostgreSQL is down"
api GET /readyz "" --max-time 6
expect_status 503 "readyz while PostgreSQL is down"
expect_json .checks.postgres.status down
expect_header Retry-After '^[0-9]+$'

expect_no_5xx '" 503 [0-9]' # only 503s while it is down
# An outage of a few seconds at least, so the runner's workers hit it too (they poll twice
# a second) and have to reconnect.
while [ $((SECONDS - t_down)) -lt 5 ]; do sleep 0.5; done

stack up postgres
t_back=$SECONDS
listing_ok() { api GET /api/v1/videos "" --max-time 6 && [ "$API_STATUS" = 200 ]; }
check "GET /api/v1/videos answers 200 again within 15 s" wait_until 15 listing_ok
good=0
for i in $(seq 1 $REQUESTS); do
	api GET /api/v1/videos "" --max-time 6
	[ "$API_STATUS" = 200 ] && good=$((good + 1))
done
expect_eq "$good" "$REQUESTS" "every responder serves again (of $REQUESTS GETs, 200)"
printf '        recovered %d s after PostgreSQL started\n' $((SECONDS - t_back))
access_log_mark # from here on, nothing may fail
TOKEN="" api POST /api/v1/auth/login "$login_body"
expect_status 200 "login after the outage"
api GET /readyz
expect_status 200 "readyz after the outage"
expect_json .checks.postgres.status ok
expect_eq "$(responders)" "$fcgi_before" "the same responders serve (none restarted or crashed)"
expect_eq "$(runner_procs)" "$runner_before" "the same runner master and workers run"

create_video '{"prompt": "t_pg_down: after the outage", "duration_seconds": 4}' || exit 1
wait_video_done "$VIDEO_ID" 180
expect_eq "$VIDEO_STATUS" succeeded "a video created after the outage completes"

expect_no_5xx
