#!/usr/bin/env bash
# GET /api/v1/admin/audit: a login (ok, wrong password, unknown email), an API key created
# and revoked, a video, a file and a movie deleted and an admin's PATCH of an account each
# leave one record with the right action, actor, target and request id; the user_id,
# action (exact and "auth." prefix), target and since/until filters; paging to the end
# without duplicates; bad queries 400; 401 without credentials, 403 for a plain user.
# shellcheck disable=SC2153 # U_TOKEN, U_ID … come from new_user
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_more.sh"
. "$(dirname "$0")/lib_movie.sh"
. "$(dirname "$0")/lib_admin.sh"

new_admin || {
	fail "cannot make an admin (see above)"
	exit 1
}
A_TOKEN=$ADMIN_TOKEN A_ID=$ADMIN_ID
T0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.1 # everything below happens after T0's second
new_user U || exit 1
TOKEN=$U_TOKEN

# rid: the X-Request-Id of the last response, which the audit record keeps.
rid() { header X-Request-Id; }

# audit_of RID: the audit records (as JSON lines) of one request, read as the admin.
audit_of() {
	TOKEN=$A_TOKEN api GET "/api/v1/admin/audit?user_id=$2&limit=100"
	json ".items[] | select(.request_id == \"$1\") | @json"
}

# expect_audit WHAT RID ACTOR JQ_CONDITION: exactly one record of request RID by ACTOR
# ("null": anonymous), and it satisfies the condition.
expect_audit() {
	local what=$1 rid=$2 actor=$3 cond=$4 rows
	if [ "$actor" = null ]; then
		TOKEN=$A_TOKEN api GET "/api/v1/admin/audit?action=auth.login_failed&limit=100"
		rows=$(json ".items[] | select(.request_id == \"$rid\") | @json")
	else
		rows=$(audit_of "$rid" "$actor")
	fi
	if [ "$(grep -c . <<<"$rows")" != 1 ]; then
		fail "$what: expected one audit record of request $rid, got: ${rows:-none}"
	elif jq -e --arg a "$actor" "(.user_id == (if \$a == \"null\" then null else \$a end)) and ($cond)" <<<"$rows" >/dev/null; then
		ok "$what: $(jq -c '{action, target_type, target_id, details}' <<<"$rows")"
	else
		fail "$what: the record does not satisfy $cond: $rows"
	fi
}

# ---- the actions

body=$(jq -cn --arg e "$U_EMAIL" --arg p "$U_PASSWORD" '{email: $e, password: $p}')
TOKEN="" api POST /api/v1/auth/login "$body"
expect_status 200 "login"
expect_audit "login ok" "$(rid)" "$U_ID" ".action == \"auth.login\" and .target_type == \"user\" and .target_id == \"$U_ID\" and .ip != null"

body=$(jq -cn --arg e "$U_EMAIL" '{email: $e, password: "not the password"}')
TOKEN="" api POST /api/v1/auth/login "$body"
expect_status 401 "wrong password"
expect_audit "login failed" "$(rid)" "$U_ID" '.action == "auth.login_failed" and .details.reason == "wrong_password"'

TOKEN="" api POST /api/v1/auth/login '{"email": "nobody-audit@example.com", "password": "whatever it is"}'
expect_status 401 "unknown email"
expect_audit "login failed, unknown email" "$(rid)" null '.action == "auth.login_failed" and .details.reason == "unknown_email"'

api POST /api/v1/api-keys '{"name": "audit key"}'
expect_status 201 "key created"
KEY_ID=$(json .id)
expect_audit "key create" "$(rid)" "$U_ID" ".action == \"apikey.create\" and .target_type == \"api_key\" and .target_id == \"$KEY_ID\""
api DELETE "/api/v1/api-keys/$KEY_ID"
expect_status 204 "key revoked"
expect_audit "key revoke" "$(rid)" "$U_ID" ".action == \"apikey.revoke\" and .target_id == \"$KEY_ID\""

create_video '{"prompt": "audit me", "duration_seconds": 4}'
VID=$VIDEO_ID
api DELETE "/api/v1/videos/$VID"
expect_status 204 "video deleted"
expect_audit "video delete" "$(rid)" "$U_ID" ".action == \"video.delete\" and .target_type == \"video\" and .target_id == \"$VID\""
api DELETE "/api/v1/videos/$VID"
expect_status 404 "deleted twice"
expect_eq "$(audit_of "$(rid)" "$U_ID")" "" "a refused delete leaves no record"

ffmpeg -hide_banner -nostdin -v error -y -f lavfi -i color=c=blue:s=32x32 -frames:v 1 "$IT_WORK/a.png" </dev/null
api POST /api/v1/files "@$IT_WORK/a.png" -H 'Content-Type: image/png'
expect_status 201 "file uploaded"
FILE_ID=$(json .id)
api DELETE "/api/v1/files/$FILE_ID"
expect_status 204 "file deleted"
expect_audit "file delete" "$(rid)" "$U_ID" ".action == \"file.delete\" and .target_type == \"file\" and .target_id == \"$FILE_ID\""

create_movie '{"title": "Audit", "scenes": [{"prompt": "a quiet harbour", "duration_seconds": 4}]}'
if [ -n "$MOVIE_ID" ]; then
	api DELETE "/api/v1/movies/$MOVIE_ID"
	expect_status 204 "movie deleted"
	expect_audit "movie delete" "$(rid)" "$U_ID" ".action == \"movie.delete\" and .target_type == \"movie\" and .target_id == \"$MOVIE_ID\""
fi

TOKEN=$A_TOKEN api PATCH "/api/v1/admin/users/$U_ID" '{"quota_video_seconds_month": 120}'
expect_status 200 "an admin changes U's quota"
expect_audit "user update" "$(rid)" "$A_ID" ".action == \"user.update\" and .target_type == \"user\" and .target_id == \"$U_ID\" and .details.before.quota_video_seconds_month == null and .details.after.quota_video_seconds_month == 120 and .details.via == \"api\""
TOKEN=$A_TOKEN api PATCH "/api/v1/admin/users/$U_ID" '{"quota_video_seconds_month": 120}'
expect_status 200 "the same change again"
expect_eq "$(audit_of "$(rid)" "$A_ID")" "" "a change that changes nothing leaves no record"

# ---- who may read it

TOKEN="" api GET /api/v1/admin/audit
expect_problem 401 "no credentials"
api GET /api/v1/admin/audit
expect_problem 403 "a plain user"

TOKEN=$A_TOKEN

# ---- filters

api GET "/api/v1/admin/audit?user_id=$U_ID&limit=100"
expect_status 200 "U's records"
expect_json '[.items[].user_id] | unique | join(" ")' "$U_ID"
expect_json '[.items[].action] | sort | join(" ")' \
	"apikey.create apikey.revoke auth.login auth.login_failed auth.register file.delete movie.delete video.delete"
expect_json '[.items[].id] | . == (sort | reverse)' true
U_ALL=$(json '[.items[].id] | join(" ")')

api GET "/api/v1/admin/audit?user_id=$U_ID&action=auth."
expect_json '[.items[].action] | sort | join(" ")' "auth.login auth.login_failed auth.register"
api GET "/api/v1/admin/audit?user_id=$U_ID&action=auth.login"
expect_json '[.items[].action] | join(" ")' "auth.login"
api GET "/api/v1/admin/audit?action=apikey.create&limit=100"
expect_json '[.items[].action] | unique | join(" ")' apikey.create
api GET "/api/v1/admin/audit?action=video."
expect_json '[.items[].action | startswith("video.")] | all' true
api GET "/api/v1/admin/audit?target_type=video&target_id=$VID"
expect_json '[.items[] | "\(.action) \(.user_id)"] | join(",")' "video.delete $U_ID"
api GET "/api/v1/admin/audit?target_id=$U_ID&action=user.update"
expect_json '[.items[].user_id] | join(" ")' "$A_ID"

api GET "/api/v1/admin/audit?user_id=$U_ID&since=$T0&limit=100"
expect_json '[.items[].id] | join(" ")' "$U_ALL"
api GET "/api/v1/admin/audit?user_id=$U_ID&until=$T0"
expect_json '.items | length' 0
api GET "/api/v1/admin/audit?user_id=$U_ID&since=2999-01-01"
expect_json '.items | length' 0
api GET "/api/v1/admin/audit?user_id=$U_ID&until=2999-01-01T00:00:00%2B02:00&since=2000-01-01"
expect_json '[.items[].id] | join(" ")' "$U_ALL"
api GET "/api/v1/admin/audit?since=$T0&limit=100"
expect_json "[.items[] | select(.at < \"$T0\")] | length" 0

# ---- paging: pages of 3 through U's records

cursor="" paged="" pages=0
while [ $pages -lt 20 ]; do
	api GET "/api/v1/admin/audit?user_id=$U_ID&limit=3${cursor:+&cursor=$cursor}"
	[ "$API_STATUS" = 200 ] || break
	pages=$((pages + 1))
	paged+=" $(json '[.items[].id] | join(" ")')"
	cursor=$(json '.next_cursor // empty')
	[ -n "$cursor" ] || break
done
paged=$(xargs <<<"$paged")
expect_eq "$paged" "$U_ALL" "pages of 3 give every record once, newest first"
expect_eq "$pages" 3 "eight records in pages of three"

# ---- bad queries

for q in "user_id=nope" "action=" "limit=0" "limit=101" "cursor=abc" "cursor=-4" "since=yesterday" \
	"until=2026-13-01" "action=a&action=b" "target_id=$(head -c 201 /dev/zero | tr '\0' x)"; do
	api GET "/api/v1/admin/audit?$q"
	expect_problem 400 "${q:0:40}"
done
