#!/usr/bin/env bash
# Accounts and abuse, one sentence of the issue at a time:
# - reuse of a rotated refresh token answers 401 and revokes its family: the newest refresh
#   token of that family is dead too (another login's family is not);
# - logout revokes the access token's jti in Redis until the token expires (and its refresh
#   token); another access token of the same user keeps working;
# - an admin disabling a user (PATCH /api/v1/admin/users/{id}) gives that user's token and
#   API key 403 on the very next request, whichever responder answers; enabling works as fast;
# - a revoked API key answers 401 at once;
# - login throttling: the 11th failed login of one account is a 429 with Retry-After, and
#   limits.failed_logins_per_address stops an address (a small value set for a while);
# - unknown email and wrong password: the same status, the same body apart from request_id,
#   and medians of 7 tries within a factor of 2 of each other.
# shellcheck disable=SC2153 # A_TOKEN, A_ID … come from new_user
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_admin.sh"
. "$here/lib_reload.sh"

access_log_mark
new_admin || {
	fail "cannot make an admin (see above)"
	exit 1
}
# Every test of this stack logs in from 127.0.0.1: start with that address's failures at
# zero and give back what this one spent.
ADDR_KEY=vg:loginfail:addr:127.0.0.1
redis() { redis-cli -s "$VEOGEN_REDIS_SOCKET" "$@"; }
redis DEL "$ADDR_KEY" >/dev/null
on_exit "redis DEL $ADDR_KEY >/dev/null"

refresh() { TOKEN="" api POST /api/v1/auth/refresh "$(jq -cn --arg r "$1" '{refresh_token: $r}')"; }
login() { TOKEN="" api POST /api/v1/auth/login "$(jq -cn --arg e "$1" --arg p "$2" '{email: $e, password: $p}')"; }
# claim TOKEN NAME: a claim of an access token's payload.
claim() {
	local p=${1#*.}
	p=${p%%.*}
	p=$(tr '_-' '/+' <<<"$p")
	while [ $((${#p} % 4)) -ne 0 ]; do p+='='; done
	base64 -d <<<"$p" 2>/dev/null | jq -r ".$2"
}

echo "reuse of a rotated refresh token revokes the whole family"
new_user A || exit 1
R0=$A_REFRESH
refresh "$R0"
expect_status 200 "first rotation"
R1=$(json .refresh_token)
refresh "$R1"
expect_status 200 "second rotation"
R2=$(json .refresh_token) T2=$(json .access_token)
login "$A_EMAIL" "$A_PASSWORD"
expect_status 200 "another login of A: a family of its own"
OTHER_R=$(json .refresh_token)
refresh "$R0"
expect_problem 401 "the first, rotated refresh token presented again"
expect_json .code refresh_token_reused
expect_header WWW-Authenticate '^Bearer'
refresh "$R2"
expect_problem 401 "the newest refresh token of that family, never used, is dead too"
expect_json .code invalid_refresh_token
refresh "$OTHER_R"
expect_status 200 "the other login's family still rotates"
TOKEN=$T2 api GET /api/v1/me
expect_status 200 "access tokens already issued live out their short life"

echo "logout revokes the access token's jti in Redis until it expires"
login "$A_EMAIL" "$A_PASSWORD"
expect_status 200 "login"
T=$(json .access_token) R=$(json .refresh_token)
JTI=$(claim "$T" jti) EXP=$(claim "$T" exp)
TOKEN=$T api POST /api/v1/auth/logout
expect_status 204 "logout"
TOKEN=$T api GET /api/v1/me
expect_problem 401 "the access token after logout"
expect_json .code token_revoked
refresh "$R"
expect_problem 401 "its refresh token after logout"
ttl=$(redis TTL "vg:revoked:$JTI")
leeway=$(conf_value "$VEOGEN_CONF" auth leeway_s)
left=$((EXP - $(date +%s)))
check "the jti is kept in Redis as long as the token lives (TTL $ttl s; the token has $left s and ${leeway:-30} s of leeway)" \
	test "$ttl" -ge $((left - 5)) -a "$ttl" -le $((left + ${leeway:-30} + 5))
TOKEN=$T2 api GET /api/v1/me
expect_status 200 "another access token of A is not affected"

echo "an admin disabling a user takes effect on the next request"
new_user B || exit 1
TOKEN=$B_TOKEN api POST /api/v1/api-keys '{"name": "t_accounts"}'
expect_status 201 "B's API key"
B_KEY=$(json .key)
on_exit "sqlv \"UPDATE users SET disabled = false WHERE id = :'id'\" id=$B_ID >/dev/null"
workers=$(conf_value "$VEOGEN_CONF" fcgi workers)
for round in 1 2 3; do
	# every responder has B cached as enabled (the cache is per responder)
	warm=0
	for _ in $(seq $((2 * ${workers:-4}))); do
		TOKEN=$B_TOKEN api GET /api/v1/me
		[ "$API_STATUS" = 200 ] && warm=$((warm + 1))
	done
	TOKEN=$ADMIN_TOKEN api PATCH "/api/v1/admin/users/$B_ID" '{"disabled": true}'
	expect_status 200 "round $round: the admin disables B ($warm requests before answered 200)"
	TOKEN=$B_TOKEN api GET /api/v1/me
	expect_problem 403 "round $round: B's access token, the very next request"
	expect_json .code account_disabled
	TOKEN="" api GET /api/v1/me "" -H "X-API-Key: $B_KEY"
	expect_problem 403 "round $round: B's API key"
	TOKEN=$ADMIN_TOKEN api PATCH "/api/v1/admin/users/$B_ID" '{"disabled": false}'
	expect_status 200 "round $round: the admin enables B again"
	TOKEN=$B_TOKEN api GET /api/v1/me
	expect_status 200 "round $round: B's access token works at once"
done

echo "a revoked API key fails at once"
TOKEN=$B_TOKEN api POST /api/v1/api-keys '{"name": "t_accounts revoked"}'
KEY=$(json .key) KEY_ID=$(json .id)
for _ in $(seq $((2 * ${workers:-4}))); do TOKEN=$KEY api GET /api/v1/me; done
expect_status 200 "the key works on every responder"
TOKEN=$B_TOKEN api DELETE "/api/v1/api-keys/$KEY_ID"
expect_status 204 "revoked"
TOKEN=$KEY api GET /api/v1/me
expect_problem 401 "the revoked key, the very next request"
expect_json .code invalid_api_key
expect_header WWW-Authenticate '^Bearer'

echo "unknown email and wrong password: the same answer in similar time"
new_user E || exit 1
UNKNOWN="nobody-$(date +%s%N)@example.com"
: >"$IT_WORK/times.wrong"
: >"$IT_WORK/times.unknown"
# one timed login: STATUS SECONDS, the body without request_id in $IT_WORK/body.NAME
timed_login() {
	local t
	t=$(curl -s -o "$API_BODY" -w '%{http_code} %{time_total}' --max-time 30 \
		-H 'Content-Type: application/json' \
		--data-binary "$(jq -cn --arg e "$1" '{email: $e, password: "not the password at all"}')" \
		"$BASE/api/v1/auth/login")
	jq -cS 'del(.request_id)' <"$API_BODY" >>"$IT_WORK/bodies"
	printf '%s\n' "${t#* }" >>"$IT_WORK/times.$2"
	printf '%s\n' "${t%% *}" >>"$IT_WORK/statuses"
}
for _ in 1 2 3 4 5 6 7; do # interleaved: both see the same load
	timed_login "$E_EMAIL" wrong
	timed_login "$UNKNOWN" unknown
done
expect_eq "$(sort -u "$IT_WORK/statuses" | xargs)" 401 "every answer of the 14 is 401"
expect_eq "$(sort -u "$IT_WORK/bodies" | wc -l)" 1 "the 14 bodies are the same apart from request_id ($(head -n1 "$IT_WORK/bodies"))"
median() { sort -g "$1" | sed -n 4p; }
m_wrong=$(median "$IT_WORK/times.wrong") m_unknown=$(median "$IT_WORK/times.unknown")
check "median times within a factor of 2: wrong password ${m_wrong}s, unknown email ${m_unknown}s" \
	awk -v a="$m_wrong" -v b="$m_unknown" 'BEGIN { exit !(a > 0 && b > 0 && a <= 2 * b && b <= 2 * a) }'

echo "login throttling per account: the 11th failed login is a 429"
per_account=$(conf_value "$VEOGEN_CONF" limits failed_logins_per_account)
per_account=${per_account:-10}
new_user C || exit 1
fails=0
for _ in $(seq "$per_account"); do
	login "$C_EMAIL" "not the password"
	[ "$API_STATUS" = 401 ] && fails=$((fails + 1))
done
expect_eq "$fails" "$per_account" "failed logins 1 to $per_account of C answered 401"
login "$C_EMAIL" "not the password"
expect_problem 429 "failed login $((per_account + 1)) of C"
expect_header Retry-After '^[1-9][0-9]*$'
check "the detail says what was limited and how long to wait ($(json .detail))" \
	eval '[[ $(json .detail) == *"failed logins for this account"*"wait"* ]]'
login "$C_EMAIL" "$C_PASSWORD"
expect_problem 429 "even C's right password, while throttled"
login "$E_EMAIL" "$E_PASSWORD"
expect_status 200 "another account from the same address is not throttled"

echo "login throttling per client address (limits.failed_logins_per_address = 5 for a while)"
redis DEL "$ADDR_KEY" >/dev/null
conf_change limits failed_logins_per_address 5 || exit 1
fails=0
for i in 1 2 3 4 5; do
	login "nobody-$i-$(date +%s%N)@example.com" "whatever it is"
	[ "$API_STATUS" = 401 ] && fails=$((fails + 1))
done
expect_eq "$fails" 5 "five failed logins (five different emails) from 127.0.0.1 answered 401"
login "nobody-6-$(date +%s%N)@example.com" "whatever it is"
expect_problem 429 "the sixth from the same address, for yet another email"
expect_header Retry-After '^[1-9][0-9]*$'
check "the detail names the address limit ($(json .detail))" \
	eval '[[ $(json .detail) == *"failed logins from this address"* ]]'
login "$E_EMAIL" "$E_PASSWORD"
expect_problem 429 "a right password from that address too"
redis DEL "$ADDR_KEY" >/dev/null
login "$E_EMAIL" "$E_PASSWORD"
expect_status 200 "once the address's window is gone, logins work"

expect_no_5xx
