#!/usr/bin/env bash
# Monthly quotas: an account's own quota (veogenctl user set-quota) refuses the video that
# would go past it with 403 quota_exceeded saying what is left; failed and cancelled
# videos do not count; a succeeded one counts at its billed cost, others at their
# estimate; GET /api/v1/me shows usage and quota; the config's quotas.* apply to accounts
# without their own.  The runner is stopped so the videos stay queued and count.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN
on_exit stack up runner
stack down runner

me() {
	api GET /api/v1/me
	printf '%s %s %s %s' "$(json .usage.video_seconds_month)" "$(json .usage.cost_usd_month)" \
		"$(json .quota.video_seconds_month)" "$(json .quota.cost_usd_month)"
}
cancel_all() {
	local id
	for id in $(sqlv "SELECT id FROM videos WHERE user_id = :'u' AND status = 'queued'" u="$A_ID"); do
		TOKEN=$A_TOKEN api POST "/api/v1/videos/$id/cancel"
	done
}
on_exit cancel_all

echo "no quota: /me says unlimited"
api GET /api/v1/me
expect_status 200
expect_json .quota.video_seconds_month null
expect_json .quota.cost_usd_month null
expect_json .usage.video_seconds_month 0

echo "a quota of video seconds"
out=$(veogenctl user set-quota "$A_EMAIL" --video-seconds 10 2>&1)
check "veogenctl user set-quota prints the new quota ($out)" eval '[[ $out == *"video_seconds_month=10 cost_usd_month=default"* ]]'
expect_eq "$(sqlv "SELECT quota_video_seconds_month FROM users WHERE id = :'u'" u="$A_ID")" 10 "the quota is stored"
expect_eq "$(me)" "0 0 10 null" "/me: usage 0 s \$0, quota 10 s, no cost quota"
create_video '{"prompt": "t_quota: 4 s", "duration_seconds": 4}' || exit 1
FIRST=$VIDEO_ID
expect_json .estimated_cost_usd 0
expect_json .spent_cost_usd 0
expect_json .enhance_prompt false
expect_json .enhanced_prompt null
create_video '{"prompt": "t_quota: 6 s", "duration_seconds": 6}' || exit 1
SECOND=$VIDEO_ID
expect_eq "$(me)" "10 0 10 null" "/me: 10 of 10 s used"
api POST /api/v1/videos '{"prompt": "t_quota: one too many", "duration_seconds": 4}'
expect_problem 403 "past the quota"
expect_json .code quota_exceeded
expect_json .detail "this video needs 4 s but only 0 s of your monthly quota is left"
expect_eq "$(sqlv "SELECT count(*) FROM videos WHERE user_id = :'u'" u="$A_ID")" 2 "the refused video was not stored"

echo "cancelled and failed videos do not count"
api POST "/api/v1/videos/$SECOND/cancel"
expect_status 202 "cancel the 6 s video"
expect_eq "$(me)" "4 0 10 null" "/me: 4 s used after the cancel"
api POST /api/v1/videos '{"prompt": "t_quota: 8 s", "duration_seconds": 8}'
expect_problem 403 "8 s do not fit in the 6 s left"
expect_json .detail "this video needs 8 s but only 6 s of your monthly quota is left"
create_video '{"prompt": "t_quota: 6 s fits", "duration_seconds": 6}' || exit 1
THIRD=$VIDEO_ID
sqlv "UPDATE videos SET status = 'failed' WHERE id = :'v'" v="$THIRD" >/dev/null
sqlv "UPDATE jobs SET state = 'cancelled' WHERE id = (SELECT job_id FROM videos WHERE id = :'v')" v="$THIRD" >/dev/null
expect_eq "$(me)" "4 0 10 null" "/me: a failed video is not counted"

echo "a cost quota (the local provider is free, so the month's cost is set by hand)"
out=$(veogenctl user set-quota "$A_EMAIL" --video-seconds default --cost-usd 1.5 2>&1)
check "veogenctl prints both ($out)" eval '[[ $out == *"video_seconds_month=default cost_usd_month=1.5"* ]]'
sqlv "UPDATE videos SET estimated_cost_usd = 1.25 WHERE id = :'v'" v="$FIRST" >/dev/null
expect_eq "$(me)" "4 1.25 null 1.5" "/me: \$1.25 of \$1.50, no seconds quota (config default 0)"
create_video '{"prompt": "t_quota: free fits", "duration_seconds": 4}' || exit 1
sqlv "UPDATE videos SET estimated_cost_usd = 1.75 WHERE id = :'v'" v="$FIRST" >/dev/null
api POST /api/v1/videos '{"prompt": "t_quota: over budget", "duration_seconds": 4}'
expect_problem 403 "the month's cost is past the quota"
expect_json .code quota_exceeded
expect_json .detail 'this video needs $0.00 but only $0.00 of your monthly quota is left'
# a succeeded video counts at what was billed, not its estimate
sqlv "UPDATE videos SET status = 'succeeded', spent_cost_usd = 0.5 WHERE id = :'v'" v="$FIRST" >/dev/null
sqlv "UPDATE jobs SET state = 'succeeded' WHERE id = (SELECT job_id FROM videos WHERE id = :'v')" v="$FIRST" >/dev/null
expect_eq "$(me)" "8 0.5 null 1.5" "/me: a succeeded video at its billed \$0.50"
create_video '{"prompt": "t_quota: fits again", "duration_seconds": 4}' || exit 1

echo "both quotas in one message"
out=$(veogenctl user set-quota "$A_EMAIL" --video-seconds 14 --cost-usd 0.5 2>&1)
api POST /api/v1/videos '{"prompt": "t_quota: both", "duration_seconds": 8}'
expect_problem 403 "past both"
expect_json .detail 'this video needs 8 s / $0.00 but only 2 s / $0.00 of your monthly quota are left'

echo "0 is no limit; default follows the config again"
out=$(veogenctl user set-quota "$A_EMAIL" --video-seconds 0 --cost-usd 0 2>&1)
expect_eq "$(me)" "12 0.5 null null" "/me: 0 means unlimited"
create_video '{"prompt": "t_quota: unlimited", "duration_seconds": 8}' || exit 1
out=$(veogenctl user set-quota "$A_EMAIL" --video-seconds default --cost-usd default 2>&1)
expect_eq "$(sqlv "SELECT coalesce(quota_video_seconds_month::text, 'null') || ' ' || coalesce(quota_cost_usd_month::text, 'null') FROM users WHERE id = :'u'" u="$A_ID")" \
	"null null" "default stores NULL"

echo "veogenctl refuses what it cannot set"
out=$(veogenctl user set-quota "$A_EMAIL" --video-seconds lots 2>&1)
expect_eq "$?" 64 "a bad number is a usage error"
out=$(veogenctl user set-quota "$A_EMAIL" 2>&1)
expect_eq "$?" 64 "nothing to set is a usage error"
out=$(veogenctl user set-quota "nobody-$RANDOM@example.com" --video-seconds 5 2>&1)
expect_eq "$?" 66 "an unknown email is EX_NOINPUT"
check "set-quota --help documents default" eval 'veogenctl user set-quota --help | grep -q "default"'

echo "the config's default applies to accounts without their own (a veogen-fcgi of our own)"
cp "$VEOGEN_CONF" "$IT_WORK/q.conf"
conf_set "$IT_WORK/q.conf" fcgi listen "\"$IT_WORK/q.sock\""
conf_set "$IT_WORK/q.conf" fcgi workers 1
conf_set "$IT_WORK/q.conf" quotas video_seconds_month 26
conf_set "$IT_WORK/q.conf" quotas cost_usd_month 2.5
on_exit private_fcgi_stop
private_fcgi_start "$IT_WORK/q.conf"
# q_request METHOD URI [BODY]: fcgi_request with a JSON body on stdin, as $A_TOKEN.
q_request() {
	local body=${3:-}
	printf '%s' "$body" >"$IT_WORK/q.body"
	FC_HEADERS=$IT_WORK/q.headers FC_BODY=$IT_WORK/q.out
	env -i PATH="$PATH" REQUEST_METHOD="$1" REQUEST_URI="$2" SCRIPT_NAME= QUERY_STRING= \
		REMOTE_ADDR=127.0.0.1 SERVER_SOFTWARE=cgi-fcgi HTTP_AUTHORIZATION="Bearer $A_TOKEN" \
		CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} \
		timeout 10 cgi-fcgi -bind -connect "$IT_WORK/q.sock" <"$IT_WORK/q.body" >"$IT_WORK/q.raw" 2>/dev/null
	FC_STATUS=$(tr -d '\r' <"$IT_WORK/q.raw" | awk '/^Status:/ { print $2; exit }')
	tr -d '\r' <"$IT_WORK/q.raw" | awk 'b { print } /^$/ { b = 1 }' >"$FC_BODY"
}
if wait_until 10 test -S "$IT_WORK/q.sock"; then
	q_request GET /api/v1/me
	expect_eq "$FC_STATUS $(jq -c .quota "$FC_BODY")" '200 {"video_seconds_month":26,"cost_usd_month":2.5}' \
		"/me shows the config's quotas"
	expect_eq "$(jq -c .usage "$FC_BODY")" '{"video_seconds_month":20,"cost_usd_month":0.5}' "/me usage"
	q_request POST /api/v1/videos '{"prompt": "t_quota: config default", "duration_seconds": 8}'
	expect_eq "$FC_STATUS $(jq -r .code "$FC_BODY")" "403 quota_exceeded" "8 s past the config's 26 s"
	expect_eq "$(jq -r .detail "$FC_BODY")" \
		'this video needs 8 s / $0.00 but only 6 s / $2.00 of your monthly quota are left' "what is left"
	q_request POST /api/v1/videos '{"prompt": "t_quota: config default fits", "duration_seconds": 4}'
	expect_eq "$FC_STATUS" 202 "4 s fit in the config's quota"
else
	fail "a private veogen-fcgi did not create its socket: $(tail -n 5 "$IT_WORK/fcgi.log")"
fi

expect_no_5xx
