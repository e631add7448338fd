#!/usr/bin/env bash
# What the web server in front (nginx or Apache: $VEOGEN_WEB) answers itself still comes in
# the API's error format: a header over its buffers, the API unreachable (problem+json with
# a request id equal to X-Request-Id, Retry-After).  A request line nginx cannot parse stays
# nginx's own 400 (an error_page there would turn it into a 500); Apache's is problem+json.
# Downloads go through the web server (X-Accel-Redirect / X-Sendfile) without leaking
# those headers.  The web page (contrib/www) is served at / with its types and security
# headers (on the files only, not on the API), a missing file is the API's problem+json 404,
# no path climbs out of the page's directory, and the page stays up while the API is down.
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

# The web page: static files with their types and the headers of the site's `location /`.
CSP="default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
# static PATH TYPE_REGEX: a file of the page, 200 with its type and every security header.
static() {
	TOKEN="" api GET "$1"
	expect_status 200 "$2 from $WEB"
	expect_header Content-Type "$2"
	expect_eq "$(header Content-Security-Policy)" "$CSP" "$1: the Content-Security-Policy"
	expect_eq "$(header X-Content-Type-Options)/$(header Cache-Control)/$(header Referrer-Policy)/$(header X-Frame-Options)" \
		"nosniff/no-cache/no-referrer/DENY" "$1: nosniff, no-cache, no-referrer, DENY"
	expect_eq "$(header_count Content-Security-Policy)$(header_count X-Content-Type-Options)" 11 \
		"$1: each security header once"
}
static / '^text/html; charset=utf-8$'
check "GET / is the page (an HTML document that loads js/app.js)" \
	eval 'grep -qi "<!doctype html>" "$API_BODY" && grep -q "js/app.js" "$API_BODY"'
static /index.html '^text/html; charset=utf-8$'
static /js/app.js '^text/javascript(; charset=utf-8)?$'
check "/js/app.js is a JavaScript module" grep -qE '^(import|export) ' "$API_BODY"
static /css/app.css '^text/css(; charset=utf-8)?$'
static /favicon.svg '^image/svg\+xml$'
ETAG=$(header ETag)
TOKEN="" api GET /favicon.svg "" -H "If-None-Match: $ETAG"
expect_status 304 "the favicon again with its ETag (the browser revalidates, no-cache)"

for p in /nope.js /js/nope.js /css/views/nope.css /nope/ /index.html/x; do
	TOKEN="" api GET "$p"
	expect_problem 404 "a file the page does not have"
	expect_eq "$(header_count Content-Security-Policy)" 0 "$p: the 404 is the API's format, not a page"
done
# The API's answers keep their own headers: none of the page's.
api GET /api/v1/styles
expect_status 200 "the API behind the page"
expect_header Content-Type '^application/json'
expect_eq "$(header_count Content-Security-Policy)$(header Cache-Control)" "0public, max-age=300" \
	"an API answer has none of the page's headers"
api GET /api/v1/nope
expect_problem 404 "an unknown API path is still the API's 404"
check "that 404 comes from the API (its problem type)" grep -q 'urn:veogen:problem:not_found' "$API_BODY"

# Out of the page's directory: its parent holds the site files (contrib/nginx, contrib/apache
# in the source tree, /usr/share/veogen/nginx installed); nothing there or further up is served.
for p in /js/../../etc/passwd /../../../../etc/passwd /js/%2e%2e/%2e%2e/etc/passwd \
	/%2e%2e/%2e%2e/%2e%2e/etc/passwd /js/..%2f..%2f..%2fetc%2fpasswd /..%5c..%5cetc/passwd \
	/js/../../nginx/veogen.conf /../nginx/veogen.conf /%2e%2e/nginx/veogen.conf \
	/js/..%2f..%2fnginx/veogen.conf /..%252fnginx/veogen.conf "/.%2e/apache/veogen.conf" \
	/css/../../apache/veogen.conf /js/views/../../../www/../nginx/veogen.conf; do
	TOKEN="" api GET "$p" "" --path-as-is
	if [[ $API_STATUS =~ ^(400|404)$ ]] && ! grep -qE 'root:|upstream veogen_fcgi|VirtualHost' "$API_BODY"; then
		ok "$p -> $API_STATUS, nothing from outside the page"
	else
		fail "$p: expected 400 or 404 without the file, got $API_STATUS: $(head -c 120 "$API_BODY")"
	fi
done

# The API down: the web server answers 503 in the API's format, and recovers at once.
on_exit stack up fcgi
stack down fcgi
api GET /api/v1/me
expect_problem 503 "veogen-fcgi is down"
expect_header Retry-After '^[0-9]+$'
TOKEN="" api GET /
expect_status 200 "the page itself is still served while the API is down"
stack up fcgi
healthy() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$VEOGEN_BASE_URL/healthz")" = 200 ]; }
check "the API answers again within 10 s of its restart" wait_until 10 healthy
