#!/usr/bin/env bash
# Requests nginx refuses before the API sees them: a header over nginx's buffers answers in
# the API's error format (problem+json with a request id); a request line nginx cannot parse
# stays nginx's own 400 (an error_page there would turn it into a 500), but never a 5xx.
here=$(dirname "$0")
. "$here/lib.sh"

big=$(head -c 10000 /dev/zero | tr '\0' a)
api GET /api/v1/me "" -H "X-Big: $big"
expect_status 400 "a 10 KB header"
expect_header Content-Type '^application/problem\+json'
expect_json .status 400
expect_header X-Request-Id '^[0-9a-f]{32}$'
check "the detail says what to fix" grep -q 'send shorter headers' "$API_BODY"

api GET '/api/v1/videos/%'
expect_status 400 "a path with a broken percent escape"

api GET /api/v1/me "" -H "Authorization: Bearer a" -H "Authorization: Bearer b"
check "two Authorization headers are refused, not served (got $API_STATUS)" \
	test "$API_STATUS" = 400 -o "$API_STATUS" = 401
