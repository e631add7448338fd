#!/usr/bin/env bash
# Every limits.* key through nginx, each answered with its status and a problem+json body
# whose detail names what to change (the key among it), and nothing stored for a refused
# request: the body (413), nesting depth (400), string and key length and array size (422
# naming the JSON path), the query string (400), a header (431, naming it), the bearer token
# (401 with WWW-Authenticate), an upload (413), scenes per movie (422 on create, 409 on add)
# and the work one user may have under way (429 with Retry-After: 30, for videos, planned
# movies, renders and regenerations; an Idempotency-Key replay still answers 200).
# Small values of the reload-class keys are set for a while with SIGHUP (lib_reload.sh).
# shellcheck disable=SC2153 # U_TOKEN, U_ID … come from new_user
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_movie.sh"
. "$here/lib_reload.sh"

access_log_mark
new_user U || exit 1
TOKEN=$U_TOKEN

# stored ID: what the database holds for user ID (videos, movies, scenes, files,
# Idempotency-Keys) and the jobs of everyone.
stored() {
	sqlv "SELECT (SELECT count(*) FROM videos WHERE user_id = :'u') || ' ' ||
		(SELECT count(*) FROM movies WHERE user_id = :'u') || ' ' ||
		(SELECT count(*) FROM scenes s JOIN movies m ON m.id = s.movie_id WHERE m.user_id = :'u') || ' ' ||
		(SELECT count(*) FROM files WHERE user_id = :'u') || ' ' ||
		(SELECT count(*) FROM idempotency_keys WHERE user_id = :'u') || ' ' ||
		(SELECT count(*) FROM jobs)" u="$1"
}

# refused CODE WHAT DETAIL_REGEX: the last answer is problem+json CODE whose detail matches.
refused() {
	expect_problem "$1" "$2"
	local detail
	detail=$(json .detail)
	if [[ $detail =~ $3 ]]; then
		ok "$2: the detail says what to change: $detail"
	else
		fail "$2: detail '$detail' does not match /$3/"
	fi
}

# field_message FIELD: the message of the first error naming exactly FIELD.
field_message() { json "[.errors[]? | select(.field == \"$1\") | .message][0] // empty"; }

# xs N: N letters x.
xs() { head -c "$1" /dev/zero | tr '\0' x; }

# unchanged WHAT: stored "$WHO" is what it was at the last `mark`.
WHO=$U_ID
mark() { BEFORE=$(stored "$WHO"); }
unchanged() { expect_eq "$(stored "$WHO")" "$BEFORE" "nothing stored for the refused requests ($1)"; }
mark

echo "limits.max_body_bytes (1 MiB): 413"
max_body=$(conf_value "$VEOGEN_CONF" limits max_body_bytes)
max_body=${max_body:-1048576}
{
	printf '{"prompt": "'
	xs "$max_body"
	printf '"}'
} >"$IT_WORK/big.json"
api POST /api/v1/videos "@$IT_WORK/big.json"
refused 413 "a body of $(stat -c %s "$IT_WORK/big.json") bytes" "limits\.max_body_bytes"
expect_json .code body_too_large

echo "limits.max_json_depth (32): 400"
deep=$(printf '{"prompt": "deep", "x": %s%s}' "$(printf '[%.0s' $(seq 32))" "$(printf ']%.0s' $(seq 32))")
api POST /api/v1/videos "$deep"
refused 400 "33 levels of nesting" "deeper than 32 levels.*limits\.max_json_depth"
api POST /api/v1/videos "$(printf '{"prompt": "deep", "x": %s%s}' "$(printf '[%.0s' $(seq 31))" "$(printf ']%.0s' $(seq 31))")"
expect_problem 422 "32 levels pass the parser (then x is an unknown field)"
expect_field_errors x

echo "limits.max_json_string_bytes (100000) and max_json_array_items (1000): 422 naming the path"
jq -cn --arg p "$(xs 100001)" '{prompt: $p}' >"$IT_WORK/long.json"
api POST /api/v1/videos "@$IT_WORK/long.json"
refused 422 "a prompt of 100001 bytes" "prompt is 100001 bytes.*limits\.max_json_string_bytes"
check "errors[] names prompt and the key ($(field_message prompt))" \
	eval '[[ $(field_message prompt) == *"at most 100000 bytes"*"limits.max_json_string_bytes"* ]]'
jq -cn --arg p "$(xs 100001)" '{title: "Long", scenes: [{prompt: "fine"}, {prompt: $p}]}' >"$IT_WORK/long.json"
api POST /api/v1/movies "@$IT_WORK/long.json"
refused 422 "a movie whose second scene's prompt is 100001 bytes" "scenes\[1\]\.prompt is 100001 bytes"
check "errors[] names scenes[1].prompt" test -n "$(field_message 'scenes[1].prompt')"
jq -cn --arg k "$(xs 100001)" '{prompt: "a key", ($k): 1}' >"$IT_WORK/long.json"
api POST /api/v1/videos "@$IT_WORK/long.json"
refused 422 "a key of 100001 bytes" "is a key of 100001 bytes.*limits\.max_json_string_bytes"
jq -cn '{prompt: "many", reference_image_ids: [range(1001) | "x"]}' >"$IT_WORK/many.json"
api POST /api/v1/videos "@$IT_WORK/many.json"
refused 422 "an array of 1001 items" "reference_image_ids has 1001 items.*limits\.max_json_array_items"
check "errors[] names reference_image_ids" test -n "$(field_message reference_image_ids)"
unchanged "bodies"

echo "limits.max_query_bytes (4096): 400"
api GET "/api/v1/videos?cursor=$(xs 5000)"
LAST_REQUEST="GET /api/v1/videos?cursor=x…"
refused 400 "a query string of 5007 bytes" "query string is 5007 bytes.*limits\.max_query_bytes"
expect_json .code query_too_long
api GET "/api/v1/videos?limit=5&x=$(xs 4000)"
LAST_REQUEST="GET /api/v1/videos?limit=5&x=x…"
expect_status 200 "a query string under the limit is read as usual"

echo "limits.max_jwt_bytes (4096): 401 before any parsing"
TOKEN=$(xs 5000) api GET /api/v1/me
refused 401 "a bearer token of 5000 bytes" "5000 bytes.*limits\.max_jwt_bytes"
expect_header WWW-Authenticate '^Bearer'
expect_json .code token_too_long
TOKEN="" api GET /api/v1/me "" -H "X-API-Key: vg_$(xs 4997)"
refused 401 "an API key of 5000 bytes" "limits\.max_jwt_bytes"

echo "limits.max_header_bytes: 431 naming the header (1024 for a while: nginx itself takes 8 KiB lines)"
conf_change limits max_header_bytes 1024 limits max_upload_bytes 2048 limits max_scenes_per_movie 3 || exit 1
api GET /api/v1/me "" -H "X-Filler-Header: $(xs 1025)"
refused 431 "a header of 1025 bytes" "X-Filler-Header header is 1025 bytes.*limits\.max_header_bytes"
expect_json .code header_too_large
expect_json .title "Request Header Fields Too Large"
api GET /api/v1/me "" -H "X-Filler-Header: $(xs 1024)"
expect_status 200 "a header of 1024 bytes passes"
TOKEN="" api POST /api/v1/auth/login '{"email": "x@example.com", "password": "whatever"}' -H "Cookie: c=$(xs 2000)"
refused 431 "any header, before authentication or routing" "Cookie header"
TOKEN="" api GET /metrics
check "the 431 answers are counted under their own status in /metrics" \
	grep -q '^veogen_http_requests_total{method="GET",route="(unmatched)",status="431"} [1-9]' "$API_BODY"

echo "limits.max_upload_bytes (2048 for a while): 413"
head -c 3000 /dev/urandom >"$IT_WORK/upload.bin"
api POST /api/v1/files "@$IT_WORK/upload.bin" -H 'Content-Type: image/png'
refused 413 "an upload of 3000 bytes" "limits\.max_upload_bytes"
expect_json .code file_too_large
unchanged "headers, query, token, upload"

echo "limits.max_scenes_per_movie (3 for a while): 422 on create, 409 on add"
four='[{"prompt": "one"}, {"prompt": "two"}, {"prompt": "three"}, {"prompt": "four"}]'
api POST /api/v1/movies "{\"title\": \"Four\", \"scenes\": $four}"
refused 422 "a movie of 4 scenes" "scenes has 4 scenes.*limits\.max_scenes_per_movie"
check "errors[] says scenes has 4 of at most 3 ($(field_message scenes))" \
	eval '[[ $(field_message scenes) == *"has 4 scenes"*"at most 3"*"limits.max_scenes_per_movie"* ]]'
api POST /api/v1/movies '{"title": "Four", "concept": "a fox", "planner": "local", "scene_count": 4}'
refused 422 "a planned movie of 4 scenes" "scene_count is 4.*limits\.max_scenes_per_movie"
check "errors[] names scene_count ($(field_message scene_count))" \
	eval '[[ $(field_message scene_count) == *"limits.max_scenes_per_movie"* ]]'
api POST /api/v1/movies '{"title": "Feature", "concept": "a fox", "planner": "local", "preset": "feature"}'
expect_problem 422 "the feature preset plans 20 or more"
expect_field_errors preset
unchanged "movies over the scene limit"
create_movie '{"title": "Three", "scenes": [{"prompt": "one"}, {"prompt": "two"}, {"prompt": "three"}]}'
THREE=$MOVIE_ID
mark
api POST "/api/v1/movies/$THREE/scenes" '{"prompt": "four"}'
refused 409 "a fourth scene" "has 3 scenes.*limits\.max_scenes_per_movie = 3.*delete one"
expect_json .code too_many_scenes
unchanged "a scene for a full movie"
api DELETE "/api/v1/movies/$THREE/scenes/$(movie_json "$THREE" '.scenes[2].id')"
expect_status 200 "a scene deleted"
api POST "/api/v1/movies/$THREE/scenes" '{"prompt": "three again"}'
expect_status 201 "then one may be added again"

echo "limits.max_active_jobs_per_user (2 for a while): 429"
new_user W || exit 1
TOKEN=$W_TOKEN
WHO=$W_ID
# A movie with a finished take, for the regeneration below (the limit is off still).
create_movie '{"title": "Done", "scenes": [{"prompt": "a finished scene", "duration_seconds": 4}]}'
DONE=$MOVIE_ID
render_movie "$DONE"
wait_movie "$DONE" 240 succeeded failed cancelled || exit 1
DONE_SCENE=$(movie_json "$DONE" '.scenes[0].id')
# Without a runner nothing finishes: what is queued stays under way.
on_exit stack up runner
stack down runner
conf_change limits max_active_jobs_per_user 2 || exit 1
V1_BODY='{"prompt": "first under way", "duration_seconds": 4}'
api POST /api/v1/videos "$V1_BODY" -H "Idempotency-Key: limits-$W_ID-1"
expect_status 202 "video 1 of 2"
V1=$(json .id)
create_video '{"prompt": "second under way", "duration_seconds": 4}'
V2=$VIDEO_ID
mark
api POST /api/v1/videos '{"prompt": "third", "duration_seconds": 4}' -H "Idempotency-Key: limits-$W_ID-3"
refused 429 "a third video" "you have 2 pieces of work under way \(2 videos.*0 movies.*limits\.max_active_jobs_per_user"
expect_header Retry-After '^30$'
expect_json .code too_many_active_jobs
api POST /api/v1/videos "$V1_BODY" -H "Idempotency-Key: limits-$W_ID-1"
expect_status 200 "an Idempotency-Key replay of video 1 still answers"
expect_json .id "$V1"
api POST /api/v1/movies '{"title": "Planned", "concept": "a fox in the snow", "planner": "local", "scene_count": 2}'
refused 429 "a planned movie" "limits\.max_active_jobs_per_user"
create_movie '{"title": "By hand", "scenes": [{"prompt": "by hand", "duration_seconds": 4}]}'
HAND=$MOVIE_ID
ok "a hand-written movie starts no work: created at the limit"
mark
api POST "/api/v1/movies/$HAND/render"
refused 429 "a render" "limits\.max_active_jobs_per_user"
expect_header Retry-After '^30$'
expect_eq "$(movie_json "$HAND" .status)" draft "the refused render left the movie a draft"
api POST "/api/v1/movies/$DONE/scenes/$DONE_SCENE/regenerate"
refused 429 "a regeneration" "limits\.max_active_jobs_per_user"
expect_eq "$(movie_json "$DONE" .status)" succeeded "the refused regeneration left the movie as it was"
unchanged "work over the limit"

api POST "/api/v1/videos/$V1/cancel"
expect_status 202 "video 1 cancelled"
api POST /api/v1/videos '{"prompt": "third", "duration_seconds": 4}'
expect_status 202 "with one under way, a new video is accepted again"
V3=$(json .id)
for v in "$V2" "$V3"; do api POST "/api/v1/videos/$v/cancel"; done
render_movie "$HAND"
create_video '{"prompt": "beside a movie", "duration_seconds": 4}'
V4=$VIDEO_ID
api POST /api/v1/videos '{"prompt": "one too many", "duration_seconds": 4}'
refused 429 "a rendering movie counts once, its scene takes not at all" \
	"you have 2 pieces of work under way \(1 videos.*1 movies"
api POST "/api/v1/movies/$HAND/cancel"
api POST "/api/v1/videos/$V4/cancel"

TOKEN=$U_TOKEN
expect_no_5xx
