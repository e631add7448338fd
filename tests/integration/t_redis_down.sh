#!/usr/bin/env bash
# Redis stopped: the API keeps serving (rate limits and the logout denylist fail open) and
# /readyz stays 200, saying "degraded" with checks.redis down.  Redis back: readyz is ok.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN
login_body=$(jq -cn --arg e "$A_EMAIL" --arg p "$A_PASSWORD" '{email: $e, password: $p}')
REQUESTS=12 # more than the responders, so every one of them is asked

api GET /readyz
expect_json .checks.redis.status ok

on_exit stack up redis
stack down redis
check "Redis is down" eval '! redis-cli -s "$VEOGEN_REDIS_SOCKET" ping >/dev/null 2>&1'

good=0 slow=0
for i in $(seq 1 $REQUESTS); do
	t0=$(date +%s%N)
	api GET /api/v1/videos "" --max-time 6
	[ $((($(date +%s%N) - t0) / 1000000)) -le 2000 ] || slow=$((slow + 1))
	[ "$API_STATUS" = 200 ] && good=$((good + 1))
done
expect_eq "$good" "$REQUESTS" "authenticated GETs still answer 200 (of $REQUESTS)"
expect_eq "$slow" 0 "none took over 2 s"
TOKEN="" api POST /api/v1/auth/login "$login_body"
expect_status 200 "login without Redis"
api POST /api/v1/videos '{"prompt": "t_redis_down: made without Redis", "duration_seconds": 4}'
expect_status 202 "create without Redis (limits fail open)"
VIDEO_ID=$(json .id)
api POST "/api/v1/videos/$VIDEO_ID/cancel"
expect_status 202 "cancel without Redis"
degraded=0
for i in $(seq 1 $REQUESTS); do
	api GET /readyz
	[ "$API_STATUS" = 200 ] && [ "$(json .status)" = degraded ] && [ "$(json .checks.redis.status)" = down ] &&
		degraded=$((degraded + 1))
done
expect_eq "$degraded" "$REQUESTS" "readyz: 200, status degraded, checks.redis down (of $REQUESTS)"

stack up redis
redis_ok_everywhere() {
	local i
	for i in $(seq 1 $REQUESTS); do
		api GET /readyz
		[ "$(json .checks.redis.status)" = ok ] || return 1
	done
}
check "readyz sees Redis again on every responder within 15 s" wait_until 15 redis_ok_everywhere
api GET /readyz
expect_status 200 "readyz after Redis is back"
expect_json .status ok
api GET /api/v1/videos
expect_status 200 "API after Redis is back"

expect_no_5xx
