#!/usr/bin/env bash
# Idempotency-Key on POST /api/v1/videos: the same key and body give the same video (200),
# another body is a 409, the same fields in another order are the same request, keys belong
# to one user, and requests racing with one key make one video.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
uuid() { cat /proc/sys/kernel/random/uuid; }
new_user B || exit 1
new_user A || exit 1
TOKEN=$A_TOKEN
# The clips are not needed: deleting them stops their jobs.
delete_videos_of() {
	local token=$1 id
	for id in $(TOKEN=$token api GET "/api/v1/videos?limit=100" && json '.items[].id'); do
		TOKEN=$token api DELETE "/api/v1/videos/$id"
	done
}
on_exit delete_videos_of "$A_TOKEN"
on_exit delete_videos_of "$B_TOKEN"
rows_of() { sqlv "SELECT count(*) FROM videos WHERE user_id = :'u'" u="$1"; }

key=$(uuid)
body='{"prompt": "t_idempotency: a lighthouse at dusk", "duration_seconds": 4, "seed": 7}'
api POST /api/v1/videos "$body" -H "Idempotency-Key: $key"
expect_status 202 "first request with a key"
first=$(json .id)
expect_header Location "^/api/v1/videos/$first\$"
api POST /api/v1/videos "$body" -H "Idempotency-Key: $key"
expect_status 200 "same key, same body"
expect_json .id "$first"
expect_eq "$(rows_of "$A_ID")" 1 "one row in videos after the repeat"

reordered='{ "seed": 7,  "duration_seconds": 4, "prompt": "t_idempotency: a lighthouse at dusk" }'
api POST /api/v1/videos "$reordered" -H "Idempotency-Key: $key"
expect_status 200 "same fields in another order and spacing"
expect_json .id "$first"

api POST /api/v1/videos '{"prompt": "t_idempotency: something else", "duration_seconds": 4, "seed": 7}' \
	-H "Idempotency-Key: $key"
expect_problem 409 "same key, another body"
api POST /api/v1/videos '{"prompt": "t_idempotency: a lighthouse at dusk", "duration_seconds": 6, "seed": 7}' \
	-H "Idempotency-Key: $key"
expect_problem 409 "same key, one field changed"
expect_eq "$(rows_of "$A_ID")" 1 "still one row after the conflicts"

TOKEN=$B_TOKEN api POST /api/v1/videos "$body" -H "Idempotency-Key: $key"
expect_status 202 "another user with the same key and body gets a video of their own"
check "B's video is not A's" test "$(json .id)" != "$first"
expect_eq "$(rows_of "$A_ID")" 1 "A still has one row"

api POST /api/v1/videos "$body"
expect_status 202 "the same body without a key is a new request"
check "a new video" test "$(json .id)" != "$first"

api POST /api/v1/videos "$body" -H "Idempotency-Key: $(printf 'k%.0s' {1..300})"
expect_problem 400 "a 300 character key"
api POST /api/v1/videos "$body" -H "Idempotency-Key: two words"
expect_problem 400 "a key with a space"

# Racing requests: several rounds of 4 simultaneous POSTs with one key.
post_raw() {
	curl -s -o "$1.body" -w '%{http_code}\n' --max-time 30 -X POST \
		-H "Authorization: Bearer $A_TOKEN" -H 'Content-Type: application/json' \
		-H "Idempotency-Key: $2" --data-binary "$3" "$BASE/api/v1/videos" >"$1.status"
}
for round in 1 2 3 4 5; do
	key=$(uuid)
	body=$(jq -cn --arg r "$round" '{prompt: ("t_idempotency: race " + $r), duration_seconds: 4}')
	before=$(rows_of "$A_ID")
	pids=()
	for n in 1 2 3 4; do
		post_raw "$IT_WORK/race$n" "$key" "$body" &
		pids+=($!)
	done
	wait "${pids[@]}"
	statuses=$(cat "$IT_WORK"/race?.status | sort | tr '\n' ' ')
	ids=$(for n in 1 2 3 4; do jq -r .id "$IT_WORK/race$n.body" 2>/dev/null; done | sort -u | tr '\n' ' ')
	expect_eq "$statuses" "200 200 200 202 " "round $round: one 202 and three 200"
	check "round $round: all four answers name one video ($ids)" test "$(wc -w <<<"$ids")" = 1
	expect_eq "$(($(rows_of "$A_ID") - before))" 1 "round $round: one new row in videos"
done

expect_no_5xx
