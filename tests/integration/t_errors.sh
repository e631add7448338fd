#!/usr/bin/env bash
# Every 4xx class of API.md's error table that the auth and video endpoints can produce,
# each an RFC 9457 problem (type, title, status, detail, request_id; 422 lists every bad
# field), through nginx.  No response of the whole run may be a 5xx.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
new_user A || exit 1
new_user B || exit 1
TOKEN=$A_TOKEN
uuid() { cat /proc/sys/kernel/random/uuid; }

# A video of A's that is done by the time the 409 checks need it.
create_video '{"prompt": "t_errors: a finished clip", "duration_seconds": 4}' || exit 1
DONE_ID=$VIDEO_ID

echo "400: malformed bodies and queries"
api POST /api/v1/videos 'this is not json'
expect_problem 400 "body is not JSON"
api POST /api/v1/videos '[{"prompt": "an array, not an object"}]'
expect_problem 400 "array body"
api POST /api/v1/videos '"a string"'
expect_problem 400 "string body"
printf '{"prompt": "bad \xff\xfe bytes"}' >"$IT_WORK/bad-utf8.json"
api POST /api/v1/videos "@$IT_WORK/bad-utf8.json"
expect_problem 400 "invalid UTF-8"
TOKEN="" api POST /api/v1/auth/register "@$IT_WORK/bad-utf8.json"
expect_problem 400 "invalid UTF-8 on register"
deep=$(printf '%.0s[' {1..40})1$(printf '%.0s]' {1..40})
api POST /api/v1/videos "{\"prompt\": $deep}"
expect_problem 400 "JSON nested 40 deep"
api POST /api/v1/videos '{"prompt": "a", "prompt": "b"}'
expect_problem 400 "duplicate key"
for q in limit=0 limit=101 limit=x limit=-1 limit=99999999999999999999 'limit=5&limit=6' \
	limit=%zz status=bogus status=%ff status=queued%00 cursor=nonsense "cursor=$(uuid)"; do
	api GET "/api/v1/videos?$q"
	expect_problem 400 "query $q"
done

echo "401: missing and bad credentials"
TOKEN="" api GET /api/v1/videos
expect_problem 401 "no credentials"
expect_header WWW-Authenticate '^Bearer'
TOKEN=garbage api GET /api/v1/videos
expect_problem 401 "garbage token"
expect_header WWW-Authenticate '^Bearer'
TOKEN="" api GET /api/v1/videos "" -H 'Authorization: Basic YTpi'
expect_problem 401 "Basic instead of Bearer"
TOKEN="" api GET /api/v1/videos "" -H "Authorization: Bearer $(printf 'a%.0s' {1..8100})"
expect_problem 401 "an 8 KB token"
TOKEN=a.b.c api GET /api/v1/videos
expect_problem 401 "a token of three empty-ish parts"

secret=$(jwt_secret)
# claims MERGE: A's claims as the server mints them, with MERGE (jq) applied.
claims() { jwt_claims "$A_ID" "$1"; }
HS256='{"alg":"HS256","typ":"JWT"}'
TOKEN=$(jwt_hs256 "$HS256" "$(claims '{}')" "$secret") api GET /api/v1/me
expect_status 200 "a token crafted like the server's is accepted (so the refusals below mean something)"
TOKEN=$(jwt_hs256 "$HS256" "$(claims '{iat: ($now - 7200), exp: ($now - 3600)}')" "$secret") \
	api GET /api/v1/me
expect_problem 401 "expired token"
TOKEN=$(jwt_hs256 "$HS256" "$(claims '{aud: "someone-else"}')" "$secret") api GET /api/v1/me
expect_problem 401 "wrong aud"
TOKEN=$(jwt_hs256 "$HS256" "$(claims '{iss: "someone-else"}')" "$secret") api GET /api/v1/me
expect_problem 401 "wrong iss"
TOKEN=$(jwt_hs256 "$HS256" "$(claims '{}')" "$(openssl rand -hex 32)") api GET /api/v1/me
expect_problem 401 "signed with another key"
none_token="$(printf '%s' '{"alg":"none","typ":"JWT"}' | b64url).$(claims '{}' | b64url)."
TOKEN=$none_token api GET /api/v1/me
expect_problem 401 "alg none"
hs512=$(printf '%s' '{"alg":"HS512","typ":"JWT"}' | b64url).$(claims '{}' | b64url)
hs512="$hs512.$(printf '%s' "$hs512" | openssl dgst -sha512 -mac HMAC -macopt "key:$secret" -binary | b64url)"
TOKEN=$hs512 api GET /api/v1/me
expect_problem 401 "HS512 with the right key (the algorithm is pinned)"

api POST /api/v1/api-keys '{"name": "t_errors"}'
expect_status 201 "API key created"
key=$(json .key) key_id=$(json .id)
TOKEN="" api GET /api/v1/me "" -H "X-API-Key: $key"
expect_status 200 "API key works before revocation"
api DELETE "/api/v1/api-keys/$key_id"
expect_status 204 "API key revoked"
TOKEN="" api GET /api/v1/me "" -H "X-API-Key: $key"
expect_problem 401 "revoked API key in X-API-Key"
TOKEN=$key api GET /api/v1/me
expect_problem 401 "revoked API key as Bearer"
TOKEN="" api GET /api/v1/me "" -H "X-API-Key: vg_$(openssl rand -hex 16)"
expect_problem 401 "unknown API key"

login_body=$(jq -cn --arg e "$A_EMAIL" --arg p "$A_PASSWORD" '{email: $e, password: $p}')
TOKEN="" api POST /api/v1/auth/login "$login_body"
expect_status 200 "second session of A"
session_token=$(json .access_token) session_refresh=$(json .refresh_token)
TOKEN=$session_token api POST /api/v1/auth/logout
expect_status 204 "logout"
TOKEN=$session_token api GET /api/v1/me
expect_problem 401 "access token after logout"
TOKEN="" api POST /api/v1/auth/refresh "$(jq -cn --arg r "$session_refresh" '{refresh_token: $r}')"
expect_problem 401 "refresh token after logout"
TOKEN="" api POST /api/v1/auth/login "$(jq -cn --arg e "$A_EMAIL" '{email: $e, password: "wrong password 1"}')"
expect_problem 401 "wrong password"
wrong_detail=$(json .detail)
TOKEN="" api POST /api/v1/auth/login '{"email": "nobody-t-errors@example.com", "password": "wrong password 1"}'
expect_problem 401 "unknown email"
expect_eq "$(json .detail)" "$wrong_detail" "unknown email and wrong password get the same answer"

echo "403: a disabled account, at once, for tokens and API keys"
new_user C || exit 1
TOKEN=$C_TOKEN api POST /api/v1/api-keys '{"name": "t_errors C"}'
c_key=$(json .key)
TOKEN="" api GET /api/v1/me "" -H "X-API-Key: $c_key"
expect_status 200 "C's API key works while enabled"
TOKEN=$c_key api POST /api/v1/auth/logout
expect_problem 403 "logout with an API key (it has no session)"
on_exit "sqlv \"UPDATE users SET disabled = false WHERE id = :'id'\" id=$C_ID >/dev/null"
sqlv "UPDATE users SET disabled = true WHERE id = :'id'" id="$C_ID"
TOKEN=$C_TOKEN api GET /api/v1/me
expect_problem 403 "token of a disabled user"
TOKEN="" api GET /api/v1/me "" -H "X-API-Key: $c_key"
expect_problem 403 "API key of a disabled user"
TOKEN=$C_TOKEN api POST /api/v1/videos '{"prompt": "disabled"}'
expect_problem 403 "create as a disabled user"
TOKEN="" api POST /api/v1/auth/login "$(jq -cn --arg e "$C_EMAIL" --arg p "$C_PASSWORD" '{email: $e, password: $p}')"
expect_problem 403 "login of a disabled user"
TOKEN="" api POST /api/v1/auth/refresh "$(jq -cn --arg r "$C_REFRESH" '{refresh_token: $r}')"
expect_problem 403 "refresh of a disabled user"
sqlv "UPDATE users SET disabled = false WHERE id = :'id'" id="$C_ID"
TOKEN=$C_TOKEN api GET /api/v1/me
expect_status 200 "enabled again: the token works at once"

echo "404: unknown paths, other users' videos, malformed ids"
for p in /api/v1/nope /api/v2/videos /api/v1/videos/ /api/v1/videos/x/y/z; do
	api GET "$p"
	expect_problem 404 "unknown path $p"
done
create_video '{"prompt": "t_errors: A owns this", "duration_seconds": 4}' || exit 1
A_VIDEO=$VIDEO_ID
TOKEN=$B_TOKEN api GET "/api/v1/videos/$A_VIDEO"
expect_problem 404 "B reads A's video"
TOKEN=$B_TOKEN api GET "/api/v1/videos/$A_VIDEO/content"
expect_problem 404 "B downloads A's video"
TOKEN=$B_TOKEN api GET "/api/v1/videos/$A_VIDEO/thumbnail"
expect_problem 404 "B reads A's thumbnail"
TOKEN=$B_TOKEN api POST "/api/v1/videos/$A_VIDEO/cancel"
expect_problem 404 "B cancels A's video"
TOKEN=$B_TOKEN api DELETE "/api/v1/videos/$A_VIDEO"
expect_problem 404 "B deletes A's video"
TOKEN=$B_TOKEN api GET "/api/v1/videos?limit=100"
expect_eq "$(jq --arg id "$A_VIDEO" '[.items[] | select(.id == $id)] | length' <"$API_BODY")" 0 \
	"A's video is not in B's list"
api GET "/api/v1/videos/$A_VIDEO"
expect_status 200 "A still has the video"
expect_json '.status | test("queued|running|succeeded")' true
for id in not-a-uuid 12345 "1'%20OR%20'1'='1" "%27%3B%20DROP%20TABLE%20videos%3B--" \
	"$(uuid)" "${A_VIDEO^^}x"; do
	api GET "/api/v1/videos/$id"
	expect_problem 404 "video id $id"
	api POST "/api/v1/videos/$id/cancel"
	expect_problem 404 "cancel id $id"
	api GET "/api/v1/videos/$id/content"
	expect_problem 404 "content id $id"
	api DELETE "/api/v1/videos/$id"
	expect_problem 404 "delete id $id"
done
expect_eq "$(sqlv "SELECT to_regclass('videos') IS NOT NULL")" t "the videos table survived"

echo "405: known path, wrong method"
api PUT /api/v1/videos '{"prompt": "x"}'
expect_problem 405 "PUT on the collection"
check "Allow of /api/v1/videos lists GET and POST" \
	eval '[[ $(header Allow) == *GET* && $(header Allow) == *POST* ]]'
api DELETE /api/v1/videos
expect_problem 405 "DELETE on the collection"
api GET "/api/v1/videos/$A_VIDEO/cancel"
expect_problem 405 "GET on cancel"
expect_header Allow 'POST'
api PATCH "/api/v1/videos/$A_VIDEO" '{}'
expect_problem 405 "PATCH on a video"
check "Allow of a video lists GET and DELETE" \
	eval '[[ $(header Allow) == *GET* && $(header Allow) == *DELETE* ]]'

echo "409: state conflicts"
TOKEN="" api POST /api/v1/auth/register "$(jq -cn --arg e "$A_EMAIL" '{email: $e, password: "long enough password"}')"
expect_problem 409 "register an existing email"
TOKEN="" api POST /api/v1/auth/register "$(jq -cn --arg e "${A_EMAIL^^}" '{email: $e, password: "long enough password"}')"
expect_problem 409 "register an existing email in capitals"
idem=$(uuid)
api POST /api/v1/videos '{"prompt": "t_errors: idempotent one", "duration_seconds": 4}' -H "Idempotency-Key: $idem"
expect_status 202 "first use of an Idempotency-Key"
idem_video=$(json .id)
api POST /api/v1/videos '{"prompt": "t_errors: another body", "duration_seconds": 4}' -H "Idempotency-Key: $idem"
expect_problem 409 "Idempotency-Key reused with another body"
api POST "/api/v1/videos/$idem_video/cancel"
create_video '{"prompt": "t_errors: long one", "duration_seconds": 8, "resolution": "1080p"}' || exit 1
LONG=$VIDEO_ID
api GET "/api/v1/videos/$LONG/content"
content_status=$API_STATUS
api GET "/api/v1/videos/$LONG"
# (a render that already finished would make 200 right: then there is nothing to check)
[ "$(json .status)" = succeeded ] || expect_eq "$content_status" 409 "content before success"

api POST "/api/v1/videos/$LONG/cancel"
expect_status 202 "cancel the long video"
api POST "/api/v1/videos/$LONG/cancel"
expect_problem 409 "cancel a cancelled video"
api GET "/api/v1/videos/$LONG/content"
expect_problem 409 "content of a cancelled video"
wait_video_done "$DONE_ID" 300
expect_eq "$VIDEO_STATUS" succeeded "the first video finished"
api POST "/api/v1/videos/$DONE_ID/cancel"
expect_problem 409 "cancel a succeeded video"

echo "413: bodies over the limit"
{
	printf '{"prompt": "'
	head -c $((1024 * 1024 + 100)) /dev/zero | tr '\0' a
	printf '"}'
} >"$IT_WORK/big.json"
api POST /api/v1/videos "@$IT_WORK/big.json"
expect_problem 413 "JSON body just over 1 MiB (answered by the API)"
head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' a >"$IT_WORK/huge.json"
api POST /api/v1/videos "@$IT_WORK/huge.json"
expect_problem 413 "3 MiB body (answered by nginx)"

echo "415: not JSON"
api POST /api/v1/videos '{"prompt": "x"}' -H 'Content-Type: text/plain'
expect_problem 415 "text/plain"
api POST /api/v1/videos '{"prompt": "x"}' -H 'Content-Type:'
expect_problem 415 "no Content-Type"
api POST /api/v1/videos '{"prompt": "x"}' -H 'Content-Type: application/json; charset=latin1'
expect_problem 415 "JSON in latin1"
TOKEN="" api POST /api/v1/auth/register '{"email": "x@example.com", "password": "long enough password"}' \
	-H 'Content-Type: application/x-www-form-urlencoded'
expect_problem 415 "register with a form"

echo "422: every bad field named"
every_bad=$(jq -cn '{prompt: "   ", negative_prompt: ("n" * 1001), style: "no-such-style",
	duration_seconds: 5, aspect_ratio: "4:3", resolution: "4k", seed: 4294967296,
	image_id: "not-a-file", last_frame_id: 12, reference_image_ids: [1, 2, 3, 4],
	provider: "nope", model: 7, webhook_url: "ftp://example.com/hook", colour: "blue"}')
api POST /api/v1/videos "$every_bad"
expect_problem 422 "every field invalid"
expect_field_errors prompt negative_prompt style duration_seconds aspect_ratio resolution seed \
	image_id last_frame_id reference_image_ids provider model webhook_url colour
api POST /api/v1/videos '{"prompt": "fine", "colour": "blue"}'
expect_problem 422 "unknown field"
expect_field_errors colour
expect_eq "$(json '.errors | length')" 1 "only the unknown field is named"
api POST /api/v1/videos "$(jq -cn --arg id "$(uuid)" '{prompt: "fine", image_id: $id}')"
expect_problem 422 "image_id that is not one of the user's files"
expect_field_errors image_id
api POST /api/v1/videos '{"prompt": "fine", "webhook_url": "http://example.com/hook"}'
expect_problem 422 "plain http webhook to a public host"
expect_field_errors webhook_url
TOKEN="" api POST /api/v1/auth/register '{"email": "t-errors-short@example.com", "password": "short"}'
expect_problem 422 "register with a short password"
expect_field_errors password
TOKEN="" api POST /api/v1/auth/register '{"email": "not an email", "password": "short", "role": "admin"}'
expect_problem 422 "register with every field wrong"
expect_field_errors email password role

echo "429: rate limits"
new_user D || exit 1
# The address budget is shared by every test from 127.0.0.1: give back what this one spent.
on_exit "redis-cli -s \"$VEOGEN_REDIS_SOCKET\" DEL vg:loginfail:addr:127.0.0.1 >/dev/null 2>&1"
per_account=$(conf_value "$VEOGEN_CONF" limits failed_logins_per_account)
per_account=${per_account:-10}
if [ "$per_account" -gt 0 ]; then
	bad_login=$(jq -cn --arg e "$D_EMAIL" '{email: $e, password: "not the password"}')
	fails=0
	for i in $(seq 1 "$per_account"); do
		TOKEN="" api POST /api/v1/auth/login "$bad_login"
		[ "$API_STATUS" = 401 ] && fails=$((fails + 1))
	done
	expect_eq "$fails" "$per_account" "failed logins up to limits.failed_logins_per_account answered 401"
	TOKEN="" api POST /api/v1/auth/login "$bad_login"
	expect_problem 429 "one failed login more"
	expect_header Retry-After '^[1-9][0-9]*$'
	expect_header RateLimit-Limit "^$per_account\$"
	expect_header RateLimit-Remaining '^0$'
	expect_header RateLimit-Reset '^[1-9][0-9]*$'
	TOKEN="" api POST /api/v1/auth/login "$(jq -cn --arg e "$D_EMAIL" --arg p "$D_PASSWORD" '{email: $e, password: $p}')"
	expect_problem 429 "even the right password while throttled"
else
	echo "  note  limits.failed_logins_per_account is 0 here: no login throttle to check"
fi

# limits.creates_per_min (60 by default) counts every POST /api/v1/videos, valid or not, so
# invalid bodies reach it without making work.  A window may roll over once mid-way.
per_min=$(conf_value "$VEOGEN_CONF" limits creates_per_min)
per_min=${per_min:-60}
if [ "$per_min" -gt 0 ]; then
	new_user E || exit 1
	first_429=0
	for i in $(seq 1 $((2 * per_min + 10))); do
		TOKEN=$E_TOKEN api POST /api/v1/videos '{}'
		if [ "$API_STATUS" = 429 ]; then
			first_429=$i
			break
		fi
		[ "$API_STATUS" = 422 ] || break
	done
	check "POST /api/v1/videos is limited after $per_min in a minute (first 429 at request $first_429)" \
		test "$first_429" -gt "$per_min"
	if [ "$first_429" -gt 0 ]; then
		expect_problem 429 "creates over the limit"
		expect_header Retry-After '^[1-9][0-9]?$'
		expect_header RateLimit-Limit "^$per_min\$"
		expect_header RateLimit-Remaining '^0$'
		expect_header RateLimit-Reset '^[0-9]+$'
	fi
else
	echo "  note  limits.creates_per_min is 0 here: no create limit to check"
fi

# The per-user request limit with its RateLimit-* headers: the stack under test runs with
# VEOGEN_RATE_LIMIT_PER_MIN=0, so a veogen-fcgi of our own gets 5 a minute.
cp "$VEOGEN_CONF" "$IT_WORK/rl.conf"
conf_set "$IT_WORK/rl.conf" fcgi listen "\"$IT_WORK/rl.sock\""
conf_set "$IT_WORK/rl.conf" fcgi workers 1
on_exit private_fcgi_stop
private_fcgi_start "$IT_WORK/rl.conf" VEOGEN_RATE_LIMIT_PER_MIN=5
if wait_until 10 test -S "$IT_WORK/rl.sock"; then
	new_user G || exit 1
	# fixed one-minute windows: do not start in the last seconds of one
	wait_until 15 eval '[ $((10#$(date +%S))) -lt 50 ]'
	for i in 1 2 3 4 5; do
		fcgi_request "$IT_WORK/rl.sock" GET /api/v1/me HTTP_AUTHORIZATION="Bearer $G_TOKEN"
		expect_eq "$FC_STATUS $(fc_header RateLimit-Limit) $(fc_header RateLimit-Remaining)" \
			"200 5 $((5 - i))" "request $i of 5: status, RateLimit-Limit, RateLimit-Remaining"
	done
	check "RateLimit-Reset is 1..60 ($(fc_header RateLimit-Reset))" \
		eval '[[ $(fc_header RateLimit-Reset) =~ ^[0-9]+$ ]] && [ "$(fc_header RateLimit-Reset)" -ge 1 ] && [ "$(fc_header RateLimit-Reset)" -le 60 ]'
	fcgi_request "$IT_WORK/rl.sock" GET /api/v1/me HTTP_AUTHORIZATION="Bearer $G_TOKEN"
	expect_eq "$FC_STATUS" 429 "request 6 of 5"
	check "429 has Retry-After ($(fc_header Retry-After))" eval '[[ $(fc_header Retry-After) =~ ^[1-9][0-9]?$ ]]'
	expect_eq "$(fc_header RateLimit-Remaining)" 0 "429 says RateLimit-Remaining: 0"
	check "429 body is problem+json with status 429" \
		eval '[[ $(fc_header Content-Type) == application/problem+json* ]] && jq -e ".status == 429" "$FC_BODY" >/dev/null'
else
	fail "a private veogen-fcgi did not create its socket: $(tail -n 5 "$IT_WORK/fcgi.log")"
fi

expect_no_5xx
