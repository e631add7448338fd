#!/usr/bin/env bash
# What the web server in front (nginx or Apache: $VEOGEN_WEB) answers itself still comes in
# the API's error format: a header over its buffers, the API unreachable (problem+json with
# a request id equal to X-Request-Id, Retry-After).  A request line nginx cannot parse stays
# nginx's own 400 (an error_page there would turn it into a 500); Apache's is problem+json.
# Downloads go through the web server (X-Accel-Redirect / X-Sendfile) without leaking
# those headers.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
WEB=${VEOGEN_WEB:-nginx}
printf '        web server: %s\n' "$WEB"

big=$(head -c 10000 /dev/zero | tr '\0' a)
api GET /api/v1/me "" -H "X-Big: $big"
expect_problem 400 "a 10 KB header"
expect_header X-Request-Id '^[0-9a-f]{32}$'
check "the detail says what to fix" grep -q 'send shorter headers' "$API_BODY"
first_id=$(header X-Request-Id)
api GET /api/v1/me "" -H "X-Big: $big"
check "each refused request gets an id of its own" test "$(header X-Request-Id)" != "$first_id"

api GET '/api/v1/videos/%'
if [ "$WEB" = apache ]; then
	expect_problem 400 "a path with a broken percent escape"
else
	expect_status 400 "a path with a broken percent escape"
fi

api GET /api/v1/me "" -H "Authorization: Bearer a" -H "Authorization: Bearer b"
check "two Authorization headers are refused, not served (got $API_STATUS)" \
	test "$API_STATUS" = 400 -o "$API_STATUS" = 401

# The Authorization header reaches the API (Apache drops it without CGIPassAuth On).
register_user
api GET /api/v1/me
expect_status 200 "GET /api/v1/me with a token, through $WEB"

api GET /metrics
expect_status 200 "/metrics from loopback"

# A download: the file comes from the web server, the internal header does not leak.
create_video '{"prompt": "A paper boat on a puddle", "duration_seconds": 4}'
wait_video_done "$VIDEO_ID"
api GET "/api/v1/videos/$VIDEO_ID/content" "" -H 'Range: bytes=0-99'
expect_status 206 "the first 100 bytes of the content through $WEB"
expect_header Content-Length '^100$'
expect_header X-Content-Type-Options '^nosniff$'
expect_eq "$(header_count X-Sendfile)$(header_count X-Accel-Redirect)" 00 \
	"no X-Sendfile or X-Accel-Redirect header reaches the client"
check "the bytes are an MP4's (ftyp box)" grep -q ftyp "$API_BODY"

# The API down: the web server answers 503 in the API's format, and recovers at once.
on_exit stack up fcgi
stack down fcgi
api GET /api/v1/me
expect_problem 503 "veogen-fcgi is down"
expect_header Retry-After '^[0-9]+$'
stack up fcgi
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$VEOGEN_BASE_URL/healthz")" = 200 ]; }
check "the API answers again within 10 s of its restart" wait_until 10 healthy
