#!/usr/bin/env bash
# GET /api/v1/admin/users (paging to the end, q/role/disabled filters, bad queries), GET one
# (quota and this month's usage), PATCH role, disabled (the account's token stops working
# at once), quotas (null = the default), unknown and bad fields 422, the last admin 409,
# unknown ids 404; 401 without credentials and 403 for a plain user.
# shellcheck disable=SC2153 # U_TOKEN, U_ID … come from new_user
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_more.sh"
. "$(dirname "$0")/lib_movie.sh" # uuid
. "$(dirname "$0")/lib_admin.sh"

new_admin || {
	fail "cannot make an admin (see above)"
	exit 1
}
A_TOKEN=$ADMIN_TOKEN A_ID=$ADMIN_ID
new_user U || exit 1
TOKEN=$A_TOKEN # the admin acts unless a call says otherwise

# ---- who may ask

TOKEN="" api GET /api/v1/admin/users
expect_problem 401 "no credentials"
TOKEN="" api GET "/api/v1/admin/users/$U_ID"
expect_problem 401 "no credentials"
TOKEN="" api PATCH "/api/v1/admin/users/$U_ID" '{"role": "admin"}'
expect_problem 401 "no credentials"
TOKEN=$U_TOKEN api GET /api/v1/admin/users
expect_problem 403 "a plain user"
TOKEN=$U_TOKEN api GET "/api/v1/admin/users/$U_ID"
expect_problem 403 "a plain user"
TOKEN=$U_TOKEN api PATCH "/api/v1/admin/users/$U_ID" '{"role": "admin"}'
expect_problem 403 "a plain user promoting themselves"
expect_eq "$(psql_veogen "SELECT role FROM users WHERE id = '$U_ID'")" user "the refused PATCH changed nothing"

# ---- GET one

TOKEN=$U_TOKEN create_video '{"prompt": "admin users usage", "duration_seconds": 4}'
api GET "/api/v1/admin/users/$U_ID"
expect_status 200 "one account"
expect_json .email "$U_EMAIL"
expect_json .role user
expect_json .disabled false
expect_json .quota.video_seconds_month null
expect_json .quota.cost_usd_month null
expect_json .usage.video_seconds_month 4
check "created_at is RFC 3339" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' <<<"$(json .created_at)"
api GET "/api/v1/admin/users/$(uuid)"
expect_problem 404 "an unknown id"
api GET /api/v1/admin/users/not-a-uuid
expect_problem 404 "an id that is no UUID"

# ---- the list: five accounts of our own, found by a marker in their email

RUN=pg$(date +%s%N)$RANDOM
ids=()
for i in 1 2 3 4 5; do
	body=$(jq -cn --arg e "$RUN-$i@example.com" --arg n "Pager $i ${RUN^^}" \
		'{email: $e, password: "a long password here", display_name: $n}')
	TOKEN="" api POST /api/v1/auth/register "$body"
	expect_status 201 "register $RUN-$i"
	ids+=("$(json .user.id)")
	sleep 0.01 # distinct created_at: the newest-first order is then known
done
newest_first="${ids[4]} ${ids[3]} ${ids[2]} ${ids[1]} ${ids[0]}"

# page_all QUERY [LIMIT]: follows next_cursor (pages of LIMIT, default 2); sets PAGED (the
# ids in order) and PAGES.
page_all() {
	local cursor="" url limit=${2:-2}
	PAGED="" PAGES=0
	while :; do
		url="/api/v1/admin/users?$1&limit=$limit${cursor:+&cursor=$cursor}"
		api GET "$url"
		[ "$API_STATUS" = 200 ] || {
			fail "GET $url: HTTP $API_STATUS"
			return 1
		}
		PAGES=$((PAGES + 1))
		PAGED+="$(json '[.items[].id] | join(" ")') "
		cursor=$(json '.next_cursor // empty')
		[ -n "$cursor" ] || break
		[ $PAGES -lt 100 ] || {
			fail "more than 100 pages for $1"
			return 1
		}
	done
	PAGED=${PAGED% }
	PAGED=${PAGED//  / }
}

page_all "q=$RUN"
expect_eq "$PAGED" "$newest_first" "q pages through our five accounts, newest first"
expect_eq "$PAGES" 3 "five accounts in pages of two"
expect_eq "$(tr ' ' '\n' <<<"$PAGED" | sort | uniq -d | wc -l)" 0 "no account on two pages"
api GET "/api/v1/admin/users?q=${RUN^^}"
expect_json '.items | length' 5
api GET "/api/v1/admin/users?q=pager%203%20${RUN}"
expect_json '[.items[].id] | join(" ")' "${ids[2]}"
api GET "/api/v1/admin/users?q=$RUN&limit=5"
expect_json .next_cursor null

# the whole table pages through too: every account once
page_all "role=user" 50
total=$(psql_veogen "SELECT count(*) FROM users WHERE role = 'user'")
expect_eq "$(tr ' ' '\n' <<<"$PAGED" | grep -c .)" "$total" "role=user pages through every user account"
expect_eq "$(tr ' ' '\n' <<<"$PAGED" | sort -u | grep -c .)" "$total" "each once"

# ---- PATCH: role

api PATCH "/api/v1/admin/users/${ids[0]}" '{"role": "admin"}'
expect_status 200 "promote"
expect_json .role admin
expect_json .id "${ids[0]}"
api GET "/api/v1/admin/users?q=$RUN&role=admin"
expect_json '[.items[].id] | join(" ")' "${ids[0]}"
api GET "/api/v1/admin/users?q=$RUN&role=user"
expect_json '.items | length' 4
# the new admin's role counts at once, with the token they already had
TOKEN=$U_TOKEN api PATCH "/api/v1/admin/users/$U_ID" '{"role": "admin"}'
expect_problem 403 "still a plain user"
api PATCH "/api/v1/admin/users/$U_ID" '{"role": "admin"}'
expect_status 200 "promote U"
TOKEN=$U_TOKEN api GET "/api/v1/admin/users/$U_ID"
expect_status 200 "U's old token is an admin's now"
api PATCH "/api/v1/admin/users/$U_ID" '{"role": "user"}'
expect_json .role user
TOKEN=$U_TOKEN api GET "/api/v1/admin/users/$U_ID"
expect_problem 403 "demoted at once"

# ---- PATCH: disabled

TOKEN=$U_TOKEN api GET /api/v1/me
expect_status 200 "U works before"
api PATCH "/api/v1/admin/users/$U_ID" '{"disabled": true}'
expect_status 200 "disable"
expect_json .disabled true
TOKEN=$U_TOKEN api GET /api/v1/me
expect_problem 403 "the disabled account's token stops at once"
expect_json .code account_disabled
body=$(jq -cn --arg e "$U_EMAIL" --arg p "$U_PASSWORD" '{email: $e, password: $p}')
TOKEN="" api POST /api/v1/auth/login "$body"
expect_problem 403 "a disabled account cannot sign in"
api GET "/api/v1/admin/users?q=$U_EMAIL&disabled=true"
expect_json '[.items[].id] | join(" ")' "$U_ID"
api GET "/api/v1/admin/users?q=$U_EMAIL&disabled=false"
expect_json '.items | length' 0
api PATCH "/api/v1/admin/users/${ids[1]}" '{"disabled": true}'
api GET "/api/v1/admin/users?q=$RUN&disabled=true"
expect_json '[.items[].id] | join(" ")' "${ids[1]}"
api GET "/api/v1/admin/users?q=$RUN&disabled=false&role=user"
expect_json '.items | length' 3
api PATCH "/api/v1/admin/users/$U_ID" '{"disabled": false}'
expect_json .disabled false
TOKEN=$U_TOKEN api GET /api/v1/me
expect_status 200 "enabled again"

# ---- PATCH: quotas

api PATCH "/api/v1/admin/users/$U_ID" '{"quota_video_seconds_month": 600, "quota_cost_usd_month": 2.5}'
expect_status 200 "set quotas"
expect_json .quota.video_seconds_month 600
expect_json .quota.cost_usd_month 2.5
expect_json .usage.video_seconds_month 4
TOKEN=$U_TOKEN api GET /api/v1/me
expect_json .quota.video_seconds_month 600
expect_eq "$(psql_veogen "SELECT quota_video_seconds_month, quota_cost_usd_month FROM users WHERE id = '$U_ID'")" \
	"600|2.5000" "quotas stored"
api PATCH "/api/v1/admin/users/$U_ID" '{"quota_video_seconds_month": null}'
expect_json .quota.video_seconds_month null
expect_json .quota.cost_usd_month 2.5
api PATCH "/api/v1/admin/users/$U_ID" '{"quota_cost_usd_month": null, "quota_video_seconds_month": 0}'
expect_json .quota.cost_usd_month null
expect_json .quota.video_seconds_month 0
expect_eq "$(psql_veogen "SELECT coalesce(quota_video_seconds_month::text, 'NULL') || ' ' || coalesce(quota_cost_usd_month::text, 'NULL') FROM users WHERE id = '$U_ID'")" \
	"0 NULL" "null stores the default (NULL)"

# ---- PATCH: what is refused changes nothing

before=$(psql_veogen "SELECT role, disabled, quota_video_seconds_month, quota_cost_usd_month FROM users WHERE id = '$U_ID'")
api PATCH "/api/v1/admin/users/$U_ID" '{"nickname": "x", "disabled": true}'
expect_problem 422 "an unknown field"
expect_field_errors nickname
api PATCH "/api/v1/admin/users/$U_ID" '{"role": "boss", "disabled": "yes", "quota_cost_usd_month": 1.23456}'
expect_problem 422 "bad values"
expect_field_errors role disabled quota_cost_usd_month
api PATCH "/api/v1/admin/users/$U_ID" '{"quota_video_seconds_month": -1, "quota_cost_usd_month": -2}'
expect_problem 422 "negative quotas"
expect_field_errors quota_video_seconds_month quota_cost_usd_month
api PATCH "/api/v1/admin/users/$U_ID" '{"quota_video_seconds_month": 2000000000}'
expect_problem 422 "a quota past the maximum"
expect_field_errors quota_video_seconds_month
api PATCH "/api/v1/admin/users/$U_ID" '[1]'
expect_problem 400 "a body that is no object"
api PATCH "/api/v1/admin/users/$U_ID" 'role=admin' -H 'Content-Type: application/x-www-form-urlencoded'
expect_problem 415 "not JSON"
expect_eq "$(psql_veogen "SELECT role, disabled, quota_video_seconds_month, quota_cost_usd_month FROM users WHERE id = '$U_ID'")" \
	"$before" "the refused changes changed nothing"
api PATCH "/api/v1/admin/users/$(uuid)" '{"disabled": true}'
expect_problem 404 "PATCH of an unknown id"
api PATCH /api/v1/admin/users/nope '{"disabled": true}'
expect_problem 404 "PATCH of an id that is no UUID"

# ---- the last admin: every other enabled admin is set aside (and put back) to try it

others=$(psql_veogen "SELECT string_agg(id::text, ',') FROM users WHERE role = 'admin' AND NOT disabled AND id <> '$A_ID'")
if [ -n "$others" ]; then
	psql_veogen "UPDATE users SET disabled = true WHERE id = ANY ('{$others}'::uuid[])" >/dev/null
	on_exit "psql_veogen \"UPDATE users SET disabled = false WHERE id = ANY ('{$others}'::uuid[])\" >/dev/null"
fi
api PATCH "/api/v1/admin/users/$A_ID" '{"role": "user"}'
expect_problem 409 "demoting the last admin"
expect_json .code last_admin
api PATCH "/api/v1/admin/users/$A_ID" '{"disabled": true}'
expect_problem 409 "disabling the last admin"
expect_json .code last_admin
api GET "/api/v1/admin/users/$A_ID"
expect_json '"\(.role) \(.disabled)"' "admin false"
# with a second admin the first may go
api PATCH "/api/v1/admin/users/$U_ID" '{"role": "admin"}'
api PATCH "/api/v1/admin/users/$A_ID" '{"role": "user"}'
expect_status 200 "demoting an admin when another remains"
TOKEN=$U_TOKEN api PATCH "/api/v1/admin/users/$A_ID" '{"role": "admin"}'
expect_status 200 "put back by the other admin"
api PATCH "/api/v1/admin/users/$U_ID" '{"role": "user"}'
expect_status 200 "U demoted again"

# ---- bad queries

for q in "role=boss" "disabled=maybe" "limit=0" "limit=101" "limit=x" "cursor=garbage" \
	"cursor=$(uuid)" "role=user&role=admin" "q=$(head -c 255 /dev/zero | tr '\0' a)"; do
	api GET "/api/v1/admin/users?$q"
	expect_problem 400 "${q:0:40}"
done
