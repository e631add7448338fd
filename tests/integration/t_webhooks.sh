#!/usr/bin/env bash
# Webhooks end to end, against tests/fakes/webhook_receiver.mjs: the per-user secret (lazy,
# stable, per user, rotation with 24 h of double signatures, audit record); a video's
# started/progress/succeeded events with Standard Webhooks headers whose signatures this
# test recomputes with openssl; retries with the same id and body (/fail-2), a redirect
# that is not followed, 410 Gone that stops at once, a timeout (/slow), a cancelled video,
# a movie's events; the deliveries list (filters, paging, attempt log, only one's own);
# webhook_url refused at submit time for private, link-local, mapped and plain-http hosts.
# The cases that wait for retries run in parallel: about 1.5 minutes on an idle machine.
# shellcheck disable=SC2153 # A_TOKEN, A_ID … come from new_user
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_movie.sh"

# ---- the receiver: outside every stack's PORT..PORT+30

RPORT=$((${VEOGEN_PORT:?run with tests/integration/run.sh} + 45))
RLOG=$IT_WORK/receiver.jsonl
: >"$RLOG"
node "$here/../fakes/webhook_receiver.mjs" --port "$RPORT" --log "$RLOG" >"$IT_WORK/receiver.out" 2>&1 &
RPID=$!
on_exit "kill -TERM $RPID 2>/dev/null; wait $RPID 2>/dev/null"
# Deliveries still waiting for a retry (the redirect, the timeout) would go on for 24 hours
# against a receiver that is gone, and keep the queue busy for the tests after this one
# (the chaos run waits for every job to end): the test ends them as a user would give up.
on_exit "psql_veogen \"WITH e AS (UPDATE webhook_events SET state = 'failed', last_error = 'ended by t_webhooks' WHERE state = 'pending' AND url LIKE 'http://127.0.0.1:$RPORT/%' RETURNING job_id) UPDATE jobs SET state = 'cancelled', finished_at = now() WHERE id IN (SELECT job_id FROM e) AND state IN ('queued', 'running')\" >/dev/null"
if ! wait_until 10 grep -q '^ready$' "$IT_WORK/receiver.out"; then
	fail "the webhook receiver did not start on 127.0.0.1:$RPORT: $(cat "$IT_WORK/receiver.out")"
	exit 1
fi
HOOK=http://127.0.0.1:$RPORT

# records TAG: the requests received for URLs ending in ?t=TAG, one JSON line each, in order.
records() { jq -c --arg q "?t=$1" 'select(.path | endswith($q))' "$RLOG"; }
# event_types TAG: the type of each event (first request of each webhook-id), in order.
event_types() {
	records "$1" | jq -rs 'reduce .[] as $r ([]; if any(.[]; .headers["webhook-id"] == $r.headers["webhook-id"]) then . else . + [$r] end)
		| map(.body | fromjson | .type) | join(" ")'
}
# has_event TAG TYPE: an event of that type was received.
has_event() { records "$1" | jq -e --arg t "$2" 'select(.body | fromjson? | .type == $t)' >/dev/null; }

# sig_of SECRET ID TIMESTAMP BODYFILE: base64(HMAC-SHA256(key, ID.TIMESTAMP.body)), key the
# base64-decoded part of SECRET after whsec_ (Standard Webhooks).
sig_of() {
	local key
	key=$(printf '%s' "${1#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	{
		printf '%s.%s.' "$2" "$3"
		cat "$4"
	} | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64 -w0
}

# verify_event REC OBJECT TARGET SECRET...: one received request is a proper delivery of an
# event of TARGET: headers, a timestamp within 60 s of its arrival, exactly one v1 signature
# per SECRET in that order (after a rotation: new, previous), each recomputed here, and the
# body {type, object, timestamp, data} with data.status as the event says.  WHY tells why not.
verify_event() {
	local rec=$1 object=$2 target=$3 id ts sigs arrived i=0 s want
	shift 3
	jq -r .body_b64 <<<"$rec" | base64 -d >"$IT_WORK/hook.body"
	id=$(jq -r '.headers["webhook-id"] // ""' <<<"$rec")
	ts=$(jq -r '.headers["webhook-timestamp"] // ""' <<<"$rec")
	arrived=$(jq -r '.time / 1000 | floor' <<<"$rec")
	read -r -a sigs <<<"$(jq -r '.headers["webhook-signature"] // ""' <<<"$rec")"
	WHY="$(jq -c '{path, headers}' <<<"$rec")"
	[[ $id =~ ^msg_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || {
		WHY="webhook-id is not msg_<uuid>: $WHY"
		return 1
	}
	[[ $ts =~ ^[0-9]+$ ]] && [ $((ts - arrived)) -le 60 ] && [ $((arrived - ts)) -le 60 ] || {
		WHY="webhook-timestamp '$ts' is not within 60 s of the arrival ($arrived): $WHY"
		return 1
	}
	jq -e '(.headers["content-type"] | startswith("application/json")) and
		(.headers["user-agent"] | startswith("veogen-webhooks/")) and .method == "POST"' <<<"$rec" >/dev/null || {
		WHY="method, Content-Type or User-Agent: $WHY"
		return 1
	}
	[ ${#sigs[@]} -eq $# ] || {
		WHY="expected $# signature(s), got ${#sigs[@]}: $WHY"
		return 1
	}
	for s in "$@"; do
		want=$(sig_of "$s" "$id" "$ts" "$IT_WORK/hook.body")
		[ "${sigs[$i]}" = "v1,$want" ] || {
			WHY="signature $((i + 1)) is ${sigs[$i]}, the secret gives v1,$want: $WHY"
			return 1
		}
		i=$((i + 1))
	done
	jq -e --arg o "$object" --arg t "$target" '
		{video: {started: ["running"], progress: ["running"], succeeded: ["succeeded"],
		         failed: ["failed"], cancelled: ["cancelled"]},
		 movie: {started: ["rendering"], progress: ["rendering", "assembling"],
		         succeeded: ["succeeded"], failed: ["failed"], cancelled: ["cancelled"]}} as $st
		| (keys == ["data", "object", "timestamp", "type"]) and .object == $o and .data.id == $t
		  and (.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\\.[0-9]+)?Z$"))
		  and (.data.status as $s | any(($st[$o][.type] // [])[]; . == $s))' \
		"$IT_WORK/hook.body" >/dev/null 2>&1 || {
		WHY="body $(head -c 400 "$IT_WORK/hook.body")"
		return 1
	}
}

# verify_all TAG OBJECT TARGET: every request received for TAG verifies, signed with S1 only
# or (after the rotation) with S2 then S1.
verify_all() {
	local rec bad=0 n=0
	while IFS= read -r rec; do
		n=$((n + 1))
		verify_event "$rec" "$2" "$3" "$S1" && continue
		[ -n "${S2:-}" ] && verify_event "$rec" "$2" "$3" "$S2" "$S1" && continue
		fail "$1: request $n is not a proper delivery: $WHY"
		bad=1
	done < <(records "$1")
	[ $bad = 0 ] && ok "$1: all $n requests carry valid headers, signatures and bodies"
}

# progress_spaced TAG: progress events of TAG are at least 5 s apart (by their timestamps).
progress_spaced() {
	records "$1" | jq -s -e '[.[] | .body | fromjson | select(.type == "progress") | .timestamp]
		| unique | map(fromdateiso8601) | sort
		| [range(1; length) as $i | .[$i] - .[$i - 1]] | all(. >= 5)' >/dev/null
}

# tried TARGET TYPE: that event of the caller's has had at least one delivery attempt.
tried() {
	local n
	n=$(delivery_of "$1" "$2" | jq -r '.attempts // 0')
	[ "${n:-0}" -ge 1 ]
}
# jq_true FILTER JSON: FILTER holds on JSON (for check).
jq_true() { jq -e "$1" <<<"$2" >/dev/null 2>&1; }

# deliveries QUERY: GET /api/v1/me/webhook-deliveries?QUERY as $TOKEN.
deliveries() { api GET "/api/v1/me/webhook-deliveries?$1"; }
# delivery_of TARGET TYPE: the caller's delivery record of that event, as JSON.
delivery_of() {
	deliveries "target_id=$1&limit=100"
	json ".items[] | select(.type == \"$2\") | @json" | head -n 1
}

new_user A || exit 1
new_user B || exit 1
TOKEN=$A_TOKEN

echo "the secret"
api GET /api/v1/me/webhook-secret
expect_status 200 "A's secret, created on first use"
S1=$(json .secret)
S1_CREATED=$(json .created_at)
check "the secret is whsec_ + base64 of 32 bytes ($S1)" \
	eval '[[ $S1 =~ ^whsec_[A-Za-z0-9+/]{43}=$ ]] && [ "$(printf %s "${S1#whsec_}" | base64 -d | wc -c)" = 32 ]'
expect_json .previous_valid_until null
api GET /api/v1/me/webhook-secret
expect_json .secret "$S1"
expect_json .created_at "$S1_CREATED"
TOKEN=$B_TOKEN api GET /api/v1/me/webhook-secret
expect_status 200 "B's secret"
check "another user has another secret" test "$(json .secret)" != "$S1"
api POST /api/v1/api-keys '{"name": "webhooks"}'
expect_status 201 "an API key for A"
KEY=$(json .key)
TOKEN="" api GET /api/v1/me/webhook-secret "" -H "X-API-Key: $KEY"
expect_json .secret "$S1"
TOKEN="" api GET /api/v1/me/webhook-secret
expect_problem 401 "no credentials"
TOKEN="" api POST /api/v1/me/webhook-secret/rotate
expect_problem 401 "no credentials"
TOKEN="" api GET /api/v1/me/webhook-deliveries
expect_problem 401 "no credentials"

echo "submit-time refusals"
for url in https://10.0.0.1/h https://169.254.169.254/latest 'https://[::ffff:192.168.1.1]/h' http://example.com/h; do
	api POST /api/v1/videos "$(jq -cn --arg u "$url" '{prompt: "t_webhooks: refused", duration_seconds: 4, webhook_url: $u}')"
	expect_problem 422 "webhook_url $url"
	expect_field_errors webhook_url
done

# The runner has two workers: the /ok video first, so that it starts at once; the cases
# that wait for retries next, in parallel; the movie while those retries run; /slow last, as
# each of its attempts holds a worker for webhooks.timeout_s.
echo "a video delivered to /ok, and the retry cases in parallel"
submit() { # submit TAG PATH [DURATION]: a local video whose webhook_url is HOOK/PATH?t=TAG
	create_video "$(jq -cn --arg u "$HOOK$2?t=$1" --argjson d "${3:-4}" \
		'{prompt: "t_webhooks: \($u)", duration_seconds: $d, provider: "local", webhook_url: $u}')"
}
submit ok1 /ok 8 && V_OK=$VIDEO_ID
submit fail /fail-2 && V_FAIL=$VIDEO_ID
submit redir /redirect && V_REDIR=$VIDEO_ID
submit gone /gone && V_GONE=$VIDEO_ID
submit cancel /ok 8 && V_CANCEL=$VIDEO_ID
api POST "/api/v1/videos/$V_CANCEL/cancel"
expect_status 202 "cancel a video with a webhook"
wait_video_done "$V_OK" 120
expect_eq "$VIDEO_STATUS" succeeded "the /ok video succeeds"
check "the receiver gets its succeeded event" wait_until 30 has_event ok1 succeeded
types=$(event_types ok1)
check "started first, succeeded last, progress in between ($types)" \
	eval '[[ "$types" =~ ^started(\ progress)*\ succeeded$ ]]'
expect_eq "$(records ok1 | jq -s 'length')" "$(wc -w <<<"$types" | tr -d ' ')" "one request per event (all answered 204)"
check "progress events at least 5 s apart" progress_spaced ok1
n=0
while IFS= read -r rec; do
	n=$((n + 1))
	if verify_event "$rec" video "$V_OK" "$S1"; then
		ok "ok1 event $n ($(jq -r '.body | fromjson | .type' <<<"$rec")): headers, one v1 signature verified with the secret, body"
	else
		fail "ok1 event $n: $WHY"
	fi
done < <(records ok1)
d=$(delivery_of "$V_OK" succeeded)
check "its delivery: delivered, 1 attempt, 204 from 127.0.0.1" jq_true '.state == "delivered" and .attempts == 1
	and .last_status == 204 and .object == "video" and (.id | startswith("msg_")) and .delivered_at != null
	and (.attempt_log | length == 1 and .[0].attempt == 1 and .[0].status == 204 and .[0].address == "127.0.0.1" and .[0].error == null)' "${d:-null}"
check "the delivery's id is the webhook-id received" \
	eval "records ok1 | jq -e --arg id \"\$(jq -r .id <<<'${d:-null}')\" 'select(.headers[\"webhook-id\"] == \$id)' >/dev/null"

echo "rotation"
api POST /api/v1/me/webhook-secret/rotate
expect_status 200 "rotate"
S2=$(json .secret)
ROT_RID=$(header X-Request-Id)
check "the new secret differs and is whsec_" eval '[[ $S2 =~ ^whsec_[A-Za-z0-9+/]{43}=$ ]] && [ "$S2" != "$S1" ]'
check "previous_valid_until is about 24 h from now ($(json .previous_valid_until))" \
	eval 'd=$(( $(json ".previous_valid_until | fromdateiso8601") - $(date +%s) )); [ $d -gt 86200 ] && [ $d -lt 86600 ]'
api GET /api/v1/me/webhook-secret
expect_json .secret "$S2"
expect_eq "$(sqlv "SELECT count(*) FROM audit_log WHERE action = 'webhook_secret.rotate' AND user_id = :'u' AND request_id = :'r'" u="$A_ID" r="$ROT_RID")" 1 \
	"the rotation left an audit record"
submit rot /ok && V_ROT=$VIDEO_ID
wait_video_done "$V_ROT" 120
check "the receiver gets the rotated video's succeeded event" wait_until 30 has_event rot succeeded
n=0
while IFS= read -r rec; do
	n=$((n + 1))
	if verify_event "$rec" video "$V_ROT" "$S2" "$S1"; then
		ok "rot event $n: two v1 signatures, the first with the new secret, the second with the previous"
	else
		fail "rot event $n: $WHY"
	fi
done < <(records rot)

echo "a movie, rendered while the retries run"
create_movie "$(jq -cn --arg u "$HOOK/ok?t=movie" '{title: "Hooked", provider: "local", webhook_url: $u,
	continuity: false, transition: "cut", scenes: [
	{prompt: "t_webhooks one: a kite over dunes", duration_seconds: 4},
	{prompt: "t_webhooks two: a lantern on a pier", duration_seconds: 4},
	{prompt: "t_webhooks three: rain on a tin roof", duration_seconds: 4}]}')"
MOVIE=$MOVIE_ID
[ -n "$MOVIE" ] && render_movie "$MOVIE"
echo "retries: /fail-2"
wait_video_done "$V_FAIL" 120
fail_done() { [ "$(records fail | jq -s '[.[] | select(.status == 204)] | length')" -ge 2 ]; }
check "every event of the /fail-2 video is delivered in the end" wait_until 90 fail_done
started=$(records fail | jq -c 'select(.body | fromjson | .type == "started")' | jq -s -c .)
expect_eq "$(jq -r 'map(.status | tostring) | join(" ")' <<<"$started")" "500 500 204" "its started event: 3 requests"
expect_eq "$(jq -r 'map(.headers["webhook-id"]) | unique | length' <<<"$started")" 1 "the same webhook-id on every retry"
expect_eq "$(jq -r 'map(.body_b64) | unique | length' <<<"$started")" 1 "the same body bytes on every retry"
d=$(delivery_of "$V_FAIL" started)
check "its delivery: 3 attempts, delivered, log 500 500 2xx from 127.0.0.1" jq_true '.state == "delivered" and .attempts == 3
	and .last_status == 204 and ([.attempt_log[].attempt] == [1, 2, 3])
	and ([.attempt_log[].status] | .[0] == 500 and .[1] == 500 and (.[2] >= 200 and .[2] < 300))
	and all(.attempt_log[]; .address == "127.0.0.1")' "${d:-null}"
check "the delivery is the event received" eval "jq -e --arg id \"\$(jq -r .id <<<'${d:-null}')\" '.[0].headers[\"webhook-id\"] == \$id' <<<'$started' >/dev/null"
verify_all fail video "$V_FAIL"

echo "a redirect is not followed"
check "its started event was tried" wait_until 60 tried "$V_REDIR" started
d=$(delivery_of "$V_REDIR" started)
check "its first attempt is recorded with status 302" jq_true '.attempt_log[0].status == 302 and .state != "delivered"' "${d:-null}"
expect_eq "$(jq -c 'select(.path == "/ok?t=redir")' "$RLOG")" "" "the receiver never sees /ok for it"
verify_all redir video "$V_REDIR"

echo "410 Gone stops at once"
check "its started event was tried" wait_until 60 tried "$V_GONE" started
d=$(delivery_of "$V_GONE" started)
check "failed after one attempt" jq_true '.state == "failed" and .attempts == 1 and .last_status == 410
	and (.attempt_log | length == 1) and .next_attempt_at == null' "${d:-null}"
expect_eq "$(records gone | jq -s '[.[].headers["webhook-id"]] | (length == (unique | length))')" true \
	"no event sent to /gone twice (the retries of /fail-2 are long done)"

echo "a cancelled video"
check "the receiver gets its cancelled event" wait_until 30 has_event cancel cancelled
expect_eq "$(event_types cancel | awk '{ print $NF }')" cancelled "cancelled is its last event"
verify_all cancel video "$V_CANCEL"

echo "the movie"
if [ -n "$MOVIE" ]; then
	wait_movie "$MOVIE" 240 succeeded failed cancelled
	expect_eq "$MOVIE_STATUS" succeeded "the movie succeeds"
	check "the receiver gets the movie's succeeded event" wait_until 30 has_event movie succeeded
	types=$(event_types movie)
	check "movie: started first, succeeded last ($types)" eval '[[ "$types" =~ ^started(\ progress)*\ succeeded$ ]]'
	check "movie progress events at least 5 s apart" progress_spaced movie
	verify_all movie movie "$MOVIE"
fi

echo "a receiver that does not answer"
submit slow /slow && V_SLOW=$VIDEO_ID
wait_video_done "$V_SLOW" 120
check "its first attempt is recorded" wait_until 60 tried "$V_SLOW" started
d=$(delivery_of "$V_SLOW" started)
check "the attempt times out (no status, an error, about 10 s)" jq_true '.attempt_log[0].status == null
	and (.attempt_log[0].error | length > 0) and .attempt_log[0].duration_ms >= 9000 and .state != "delivered"' "${d:-null}"

echo "the deliveries list"
deliveries "target_id=$V_OK"
expect_status 200 "A's deliveries of one video"
expect_json '[.items[].target_id] | unique | join(" ")' "$V_OK"
TOTAL=$(sqlv "SELECT count(*) FROM webhook_events WHERE user_id = :'u'" u="$A_ID")
seen="" cursor="" pages=0
while [ $pages -lt 100 ]; do
	deliveries "limit=3${cursor:+&cursor=$cursor}"
	[ "$API_STATUS" = 200 ] || break
	seen="$seen $(json '[.items[].id] | join(" ")')"
	pages=$((pages + 1))
	cursor=$(json '.next_cursor // empty')
	[ -n "$cursor" ] || break
done
expect_eq "$(wc -w <<<"$seen" | tr -d ' ')/$(tr ' ' '\n' <<<"$seen" | grep -c . | tr -d ' ')/$(tr ' ' '\n' <<<"$seen" | grep . | sort -u | wc -l | tr -d ' ')" \
	"$TOTAL/$TOTAL/$TOTAL" "paging by 3 walks all $TOTAL events once ($pages pages)"
deliveries "state=delivered&limit=100"
expect_json '[.items[].state] | unique | join(" ")' delivered
deliveries "state=failed&target_id=$V_GONE"
expect_json '[.items[] | select(.state == "failed")] | length > 0' true
for q in target_id=nope state=lost limit=0 cursor=msg_nope "state=failed&state=pending"; do
	deliveries "$q"
	expect_problem 400 "$q"
done
FIRST=$(TOKEN=$A_TOKEN delivery_of "$V_OK" started | jq -r .id)
TOKEN=$B_TOKEN deliveries "target_id=$V_OK"
expect_status 200 "B asks for A's video's deliveries"
expect_json '.items | length' 0
TOKEN=$B_TOKEN deliveries "cursor=$FIRST"
expect_problem 400 "B cannot page from A's event"
