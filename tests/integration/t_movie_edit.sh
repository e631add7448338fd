#!/usr/bin/env bash
# Movies, editing: create from hand-written scenes (defaults, order), every validation error of
# the create body, list/get/paging, PATCH, add/edit/delete/reorder scenes, the stale rules
# (with continuity a change marks the scene and the later ones; without, only that scene) on a
# movie rendered with the local provider, 409 movie_busy while rendering, user B → 404 on
# everything of A's movie, and DELETE removing the takes' files and the film.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_movie.sh"

access_log_mark
new_user A || exit 1
new_user B || exit 1
TOKEN=$A_TOKEN

echo "create from hand-written scenes"
create_movie '{"title": "Harbour morning", "scenes": [
	{"prompt": "A harbour at dawn, fog on the water", "transition": "fade"},
	{"prompt": "Fishing boats leave one by one", "duration_seconds": 4, "title": "Boats"},
	{"prompt": "The sun breaks through over the lighthouse", "camera": "slow dolly in", "caption": "Morning"}]}' || exit 1
expect_header Location "^/api/v1/movies/$MOVIE_ID\$"
expect_header Content-Type '^application/json'
expect_json .title "Harbour morning"
expect_json .status draft
expect_json .style cinematic
expect_json .continuity true
expect_json .transition cut
expect_json .scene_count 3
expect_json .progress 0
expect_json .error null
expect_json .result null
expect_json .estimated_cost_usd 0
expect_json .budget_usd null
expect_json .links.self "/api/v1/movies/$MOVIE_ID"
expect_json .links.content null
expect_json '.scenes | length' 3
expect_json '[.scenes[].position] | join(",")' "1,2,3"
expect_json '[.scenes[].prompt] | join("|")' \
	"A harbour at dawn, fog on the water|Fishing boats leave one by one|The sun breaks through over the lighthouse"
expect_json '[.scenes[].duration_seconds] | join(",")' "8,4,8"
expect_json '[.scenes[].status] | join(",")' "pending,pending,pending"
expect_json '[.scenes[].video_id] | map(. == null) | all' true
expect_json '.scenes[1].title' Boats
expect_json '.scenes[2].camera' "slow dolly in"
expect_json '.scenes[0].transition' fade
expect_json '.scenes[1].transition' null
# 8 + 4 + 8, minus the 1 s fade after scene 1
expect_json .total_duration_seconds 19
check "created_at is RFC 3339 UTC" eval '[[ $(json .created_at) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$ ]]'
FIRST=$MOVIE_ID
api GET "/api/v1/movies/$FIRST/content"
expect_problem 409 "no film before the first render"
expect_json .code not_ready

echo "a movie of 50 scenes is the most"
fifty=$(jq -cn '[range(50) | {prompt: "scene \(. + 1) of fifty", duration_seconds: 4}]')
create_movie "$(jq -cn --argjson s "$fifty" '{title: "Fifty", scenes: $s}')"
expect_json '.scenes | length' 50
FIFTY=$MOVIE_ID
api POST "/api/v1/movies/$FIFTY/scenes" '{"prompt": "the 51st"}'
expect_problem 409 "no 51st scene"
expect_json .code too_many_scenes
api POST /api/v1/movies "$(jq -cn --argjson s "$fifty" '{title: "Fifty-one", scenes: ($s + [{prompt: "one more"}])}')"
expect_problem 422 "51 scenes"
expect_field_errors scenes

echo "validation: every bad field is named"
bad() { # WHAT BODY FIELD...
	local what=$1 body=$2
	shift 2
	api POST /api/v1/movies "$body"
	expect_problem 422 "$what"
	expect_field_errors "$@"
}
S1='[{"prompt": "a scene"}]'
bad "no title" "{\"scenes\": $S1}" title
bad "empty title" "{\"title\": \"   \", \"scenes\": $S1}" title
bad "title of 201 characters" "$(jq -cn --argjson s "$S1" '{title: ("x" * 201), scenes: $s}')" title
api POST /api/v1/movies '{"title": "nothing to film"}'
expect_problem 422 "none of concept, script, scenes"
check "the 422 names concept, script or scenes" jq -e 'any(.errors[]?.field; . == "concept" or . == "script" or . == "scenes")' -- "$API_BODY" >/dev/null
api POST /api/v1/movies "{\"title\": \"both\", \"concept\": \"a storm\", \"scenes\": $S1}"
expect_problem 422 "concept and scenes together"
bad "concept of 4001 characters" "$(jq -cn '{title: "t", concept: ("y" * 4001)}')" concept
bad "script of 20001 characters" "$(jq -cn '{title: "t", script: ("y" * 20001)}')" script
bad "no scenes" '{"title": "t", "scenes": []}' scenes
bad "a scene without a prompt" '{"title": "t", "scenes": [{"prompt": "ok"}, {"title": "no prompt"}]}' scenes
check "the field names the scene's prompt" jq -e 'any(.errors[]?.field; startswith("scenes[") and endswith("prompt"))' -- "$API_BODY" >/dev/null
bad "a scene of 5 s" '{"title": "t", "scenes": [{"prompt": "ok", "duration_seconds": 5}]}' scenes
check "the field names the scene's duration" jq -e 'any(.errors[]?.field; startswith("scenes[") and endswith("duration_seconds"))' -- "$API_BODY" >/dev/null
bad "a scene with an unknown transition" '{"title": "t", "scenes": [{"prompt": "ok", "transition": "spin"}]}' scenes
bad "an unknown field" "{\"title\": \"t\", \"scenes\": $S1, \"colour\": \"red\"}" colour
bad "an unknown style" "{\"title\": \"t\", \"scenes\": $S1, \"style\": \"no-such-style\"}" style
bad "an unknown preset" '{"title": "t", "concept": "a storm", "preset": "epic"}' preset
bad "scene_count 51" '{"title": "t", "concept": "a storm", "scene_count": 51}' scene_count
bad "scene_count outside the preset" '{"title": "t", "concept": "a storm", "preset": "commercial", "scene_count": 8}' scene_count
bad "scene_duration_seconds 5" '{"title": "t", "concept": "a storm", "scene_duration_seconds": 5}' scene_duration_seconds
bad "aspect ratio 4:3" "{\"title\": \"t\", \"scenes\": $S1, \"aspect_ratio\": \"4:3\"}" aspect_ratio
bad "resolution 480p" "{\"title\": \"t\", \"scenes\": $S1, \"resolution\": \"480p\"}" resolution
bad "an unknown provider" "{\"title\": \"t\", \"scenes\": $S1, \"provider\": \"sora\"}" provider
bad "continuity not a boolean" "{\"title\": \"t\", \"scenes\": $S1, \"continuity\": \"yes\"}" continuity
bad "an unknown transition" "{\"title\": \"t\", \"scenes\": $S1, \"transition\": \"spin\"}" transition
bad "a 5 s transition" "{\"title\": \"t\", \"scenes\": $S1, \"transition\": \"fade\", \"transition_seconds\": 5}" transition_seconds
bad "a negative budget" "{\"title\": \"t\", \"scenes\": $S1, \"budget_usd\": -1}" budget_usd
bad "title_card not a boolean" "{\"title\": \"t\", \"scenes\": $S1, \"title_card\": 1}" title_card
bad "four character images" "{\"title\": \"t\", \"scenes\": $S1, \"character_image_ids\": [\"$(uuid)\", \"$(uuid)\", \"$(uuid)\", \"$(uuid)\"]}" character_image_ids
bad "a character image that does not exist" "{\"title\": \"t\", \"scenes\": $S1, \"character_image_ids\": [\"$(uuid)\"]}" character_image_ids
bad "a soundtrack that does not exist" "{\"title\": \"t\", \"scenes\": $S1, \"soundtrack_id\": \"$(uuid)\"}" soundtrack_id
ffmpeg -nostdin -loglevel error -f lavfi -i color=c=red:s=64x36 -frames:v 1 -y "$IT_WORK/red.png"
api POST /api/v1/files "@$IT_WORK/red.png" -H 'Content-Type: image/png'
expect_status 201 "upload an image"
IMG=$(json .id)
bad "an image as soundtrack" "{\"title\": \"t\", \"scenes\": $S1, \"soundtrack_id\": \"$IMG\"}" soundtrack_id
TOKEN=$B_TOKEN bad "B names A's image" "{\"title\": \"t\", \"scenes\": $S1, \"character_image_ids\": [\"$IMG\"]}" character_image_ids
bad "many faults at once" '{"title": "", "scenes": [{"prompt": "ok", "duration_seconds": 7}], "style": "x", "transition": "spin", "resolution": "8k", "budget_usd": 0}' \
	title scenes style transition resolution budget_usd
api POST /api/v1/movies '[1, 2]'
expect_problem 400 "a body that is not an object"
api POST /api/v1/movies '{"title": '
expect_problem 400 "a body that is not JSON"

echo "list, read, paging"
create_movie "{\"title\": \"Third\", \"scenes\": $S1}"
THIRD=$MOVIE_ID
api GET /api/v1/movies
expect_status 200 list
expect_json '.items | length' 3
expect_json '[.items[].id] | join(" ")' "$THIRD $FIFTY $FIRST"
expect_json .next_cursor null
api GET "/api/v1/movies?limit=2"
expect_json '[.items[].id] | join(" ")' "$THIRD $FIFTY"
cursor=$(json .next_cursor)
check "a next_cursor after a full page" test -n "$cursor" -a "$cursor" != null
api GET "/api/v1/movies?limit=2&cursor=$cursor"
expect_json '[.items[].id] | join(" ")' "$FIRST"
expect_json .next_cursor null
api GET "/api/v1/movies?limit=0"
expect_problem 400 "limit 0"
api GET "/api/v1/movies?limit=101"
expect_problem 400 "limit 101"
api GET "/api/v1/movies?cursor=nonsense"
expect_problem 400 "a cursor that is no cursor"
api GET "/api/v1/movies/$FIRST"
expect_status 200 read
expect_json .id "$FIRST"
expect_json '.scenes | length' 3
api GET "/api/v1/movies/$(uuid)"
expect_problem 404 "no such movie"
api GET /api/v1/movies/not-a-uuid
expect_problem 404 "not even an id"

echo "PATCH the movie"
api PATCH "/api/v1/movies/$FIRST" '{"title": "Harbour, later", "transition": "dissolve", "transition_seconds": 0.5, "budget_usd": 5, "title_card": true}'
expect_status 200 "patch settings"
expect_json .title "Harbour, later"
expect_json .transition dissolve
expect_json .budget_usd 5
# 8 + 4 + 8, the scene-1 fade and the default dissolve after scene 2 (0.5 s each), plus the
# 3 s title card joined with a 0.5 s dissolve
expect_json .total_duration_seconds 21.5
api PATCH "/api/v1/movies/$FIRST" '{"budget_usd": null}'
expect_status 200 "clear the budget"
expect_json .budget_usd null
api PATCH "/api/v1/movies/$FIRST" '{"scene_count": 4}'
expect_problem 422 "scene_count is not patchable"
expect_field_errors scene_count
api PATCH "/api/v1/movies/$FIRST" '{"transition": "spin", "title": ""}'
expect_problem 422 "bad values"
expect_field_errors transition title
api GET "/api/v1/movies/$FIRST"
expect_json .title "Harbour, later"

echo "add, edit, delete, reorder scenes"
api POST "/api/v1/movies/$FIRST/scenes" '{"prompt": "Gulls circle the mast"}'
expect_status 201 "add at the end"
expect_json '.scenes | length' 4
expect_json '.scenes[3].prompt' "Gulls circle the mast"
expect_json '.scenes[3].position' 4
expect_json '.scenes[3].duration_seconds' 8
expect_json .scene_count 4
api POST "/api/v1/movies/$FIRST/scenes" '{"prompt": "Night falls before everything", "position": 1, "duration_seconds": 6}'
expect_status 201 "add at position 1"
expect_json '[.scenes[].position] | join(",")' "1,2,3,4,5"
expect_json '.scenes[0].prompt' "Night falls before everything"
expect_json '.scenes[1].prompt' "A harbour at dawn, fog on the water"
expect_json '.scenes[0].duration_seconds' 6
api POST "/api/v1/movies/$FIRST/scenes" '{"prompt": "too far", "position": 7}'
expect_problem 422 "position past the end + 1"
expect_field_errors position
api POST "/api/v1/movies/$FIRST/scenes" '{"title": "no prompt"}'
expect_problem 422 "a scene needs a prompt"
expect_field_errors prompt
api POST "/api/v1/movies/$FIRST/scenes" '{"prompt": "x", "duration_seconds": 5}'
expect_problem 422 "5 s"
expect_field_errors duration_seconds
api GET "/api/v1/movies/$FIRST"
read -r -a ids <<<"$(scene_ids)"
api PATCH "/api/v1/movies/$FIRST/scenes/${ids[2]}" '{"prompt": "Boats leave, nets piled high", "title": "Departure", "caption": "Off they go"}'
expect_status 200 "edit a scene"
expect_json '.scenes[2].prompt' "Boats leave, nets piled high"
expect_json '.scenes[2].title' Departure
expect_json '.scenes[2].id' "${ids[2]}"
api PATCH "/api/v1/movies/$FIRST/scenes/${ids[2]}" '{"title": null}'
expect_status 200 "clear a scene's title"
expect_json '.scenes[2].title' null
api PATCH "/api/v1/movies/$FIRST/scenes/${ids[2]}" '{}'
expect_problem 422 "an empty edit"
api PATCH "/api/v1/movies/$FIRST/scenes/${ids[2]}" '{"duration_seconds": 3}'
expect_problem 422 "3 s"
expect_field_errors duration_seconds
api PATCH "/api/v1/movies/$FIRST/scenes/${ids[2]}" '{"position": 1}'
expect_problem 422 "position is changed by reorder, not edit"
api PATCH "/api/v1/movies/$FIRST/scenes/$(uuid)" '{"prompt": "x"}'
expect_problem 404 "no such scene"
api PATCH "/api/v1/movies/$FIFTY/scenes/${ids[2]}" '{"prompt": "x"}'
expect_problem 404 "a scene of another movie"
api DELETE "/api/v1/movies/$FIRST/scenes/${ids[0]}"
expect_status 200 "delete a scene"
expect_json '.scenes | length' 4
expect_json '[.scenes[].position] | join(",")' "1,2,3,4"
expect_json '[.scenes[].id] | join(" ")' "${ids[1]} ${ids[2]} ${ids[3]} ${ids[4]}"
api DELETE "/api/v1/movies/$FIRST/scenes/${ids[0]}"
expect_problem 404 "delete it again"
new_order="${ids[4]} ${ids[2]} ${ids[1]} ${ids[3]}"
api POST "/api/v1/movies/$FIRST/scenes/reorder" "$(jq -cn --arg s "$new_order" '{scene_ids: ($s | split(" "))}')"
expect_status 200 reorder
expect_json '[.scenes[].id] | join(" ")' "$new_order"
expect_json '[.scenes[].position] | join(",")' "1,2,3,4"
reorder_bad() { # WHAT IDS...
	local what=$1
	shift
	api POST "/api/v1/movies/$FIRST/scenes/reorder" "$(jq -cn --arg s "$*" '{scene_ids: ($s | split(" ") | map(select(. != "")))}')"
	expect_problem 422 "reorder: $what"
	expect_field_errors scene_ids
}
reorder_bad "one missing" "${ids[4]}" "${ids[2]}" "${ids[1]}"
reorder_bad "one twice" "${ids[4]}" "${ids[2]}" "${ids[1]}" "${ids[1]}"
reorder_bad "a stranger" "${ids[4]}" "${ids[2]}" "${ids[1]}" "$(uuid)"
reorder_bad "one deleted" "${ids[0]}" "${ids[2]}" "${ids[1]}" "${ids[3]}"
reorder_bad "empty"
api POST "/api/v1/movies/$FIRST/scenes/reorder" '{"scene_ids": "all"}'
expect_problem 422 "reorder: not an array"
api GET "/api/v1/movies/$FIRST"
expect_json '[.scenes[].id] | join(" ")' "$new_order"

# ---------------------------------------------------------------- stale marking
echo "render a 4-scene movie (continuity) with the local provider"
create_movie '{"title": "Stale rules", "continuity": true, "scenes": [
	{"prompt": "Stale one: a red kite over a field", "duration_seconds": 4},
	{"prompt": "Stale two: the kite dives", "duration_seconds": 4},
	{"prompt": "Stale three: a child runs after it", "duration_seconds": 4},
	{"prompt": "Stale four: the kite lands in a tree", "duration_seconds": 4}]}' || exit 1
M=$MOVIE_ID
render_movie "$M"
expect_json .status rendering
wait_movie "$M" 600 succeeded failed cancelled || exit 1
expect_eq "$MOVIE_STATUS" succeeded "the movie renders"
expect_json '[.scenes[].status] | join(" ")' "succeeded succeeded succeeded succeeded"
read -r -a sid <<<"$(scene_ids)"
takes0=$(json '[.scenes[].video_id] | join(" ")')

statuses() { json '[.scenes[].status] | join(" ")'; }
reset_stale() { sqlv "UPDATE scenes SET stale = false WHERE movie_id = :'m'" m="$M" >/dev/null; }
edit_scene() { # POSITION(1-based) BODY WANT WHAT
	api PATCH "/api/v1/movies/$M/scenes/${sid[$(($1 - 1))]}" "$2"
	expect_status 200 "$4"
	expect_eq "$(statuses)" "$3" "$4: scene statuses"
}
S4="succeeded succeeded succeeded succeeded"

edit_scene 3 '{"title": "Chase"}' "$S4" "a new title needs no new take"
expect_json .status draft
check "the last film is still linked after an edit" test "$(json .links.content)" = "/api/v1/movies/$M/content"
api GET "/api/v1/movies/$M/content"
expect_status 200 "the last film is still served"
edit_scene 1 '{"caption": "Up it goes", "transition": "fade"}' "$S4" "caption and transition need no new take"
edit_scene 2 '{"prompt": "Stale two: the kite dives, sharply"}' "succeeded stale stale stale" \
	"continuity: a new prompt for scene 2 makes 2, 3, 4 stale"
expect_json '.scenes[1].video_id' "$(cut -d' ' -f2 <<<"$takes0")"
expect_json '.scenes[1].progress' 0
reset_stale
edit_scene 4 '{"duration_seconds": 6}' "succeeded succeeded succeeded stale" "continuity: a new length for the last scene"
reset_stale
edit_scene 3 '{"camera": "handheld"}' "succeeded succeeded stale stale" "continuity: a camera for scene 3 makes 3, 4 stale"
reset_stale
api POST "/api/v1/movies/$M/scenes" '{"prompt": "Stale inserted: wind picks up", "position": 2, "duration_seconds": 4}'
expect_status 201 "add at position 2"
expect_eq "$(statuses)" "succeeded pending stale stale stale" "continuity: adding at 2 makes 3.. stale, the new one pending"
inserted=$(json '.scenes[1].id')
reset_stale
api DELETE "/api/v1/movies/$M/scenes/$inserted"
expect_status 200 "delete at position 2"
expect_eq "$(statuses)" "succeeded stale stale stale" "continuity: deleting at 2 makes 2.. stale"
reset_stale
api POST "/api/v1/movies/$M/scenes/reorder" "$(jq -cn --arg s "${sid[0]} ${sid[1]} ${sid[3]} ${sid[2]}" '{scene_ids: ($s | split(" "))}')"
expect_status 200 "swap 3 and 4"
expect_eq "$(statuses)" "succeeded succeeded stale stale" "continuity: reorder makes stale from the first moved position"
api POST "/api/v1/movies/$M/scenes/reorder" "$(jq -cn --arg s "${sid[0]} ${sid[1]} ${sid[2]} ${sid[3]}" '{scene_ids: ($s | split(" "))}')"
reset_stale
api POST "/api/v1/movies/$M/scenes/reorder" "$(jq -cn --arg s "${sid[*]}" '{scene_ids: ($s | split(" "))}')"
expect_status 200 "reorder to the same order"
expect_eq "$(statuses)" "$S4" "the same order changes nothing"
api PATCH "/api/v1/movies/$M" '{"title": "Stale rules 2", "transition": "fade", "budget_usd": 10, "title_card": true}'
expect_status 200 "patch title, transition, budget, title card"
expect_eq "$(statuses)" "$S4" "assembly settings need no new takes"
api PATCH "/api/v1/movies/$M" '{"style": "anime"}'
expect_status 200 "patch the style"
expect_eq "$(statuses)" "stale stale stale stale" "a new style makes every scene stale"
reset_stale
api PATCH "/api/v1/movies/$M" '{"continuity": false}'
expect_status 200 "continuity off"
expect_json .continuity false
expect_eq "$(statuses)" "succeeded stale stale stale" "switching continuity makes 2.. stale"
reset_stale

echo "without continuity only the edited scene goes stale"
edit_scene 2 '{"prompt": "Stale two: the kite dives, alone"}' "succeeded stale succeeded succeeded" \
	"no continuity: a new prompt for scene 2 makes only 2 stale"
reset_stale
api POST "/api/v1/movies/$M/scenes" '{"prompt": "Stale first now", "position": 1, "duration_seconds": 4}'
expect_status 201 "add at position 1"
expect_eq "$(statuses)" "pending $S4" "no continuity: adding a scene stales nothing"
api DELETE "/api/v1/movies/$M/scenes/$(json '.scenes[0].id')"
expect_eq "$(statuses)" "$S4" "no continuity: deleting a scene stales nothing"
api POST "/api/v1/movies/$M/scenes/reorder" "$(jq -cn --arg s "${sid[3]} ${sid[2]} ${sid[1]} ${sid[0]}" '{scene_ids: ($s | split(" "))}')"
expect_eq "$(statuses)" "$S4" "no continuity: reordering stales nothing"
api POST "/api/v1/movies/$M/scenes/reorder" "$(jq -cn --arg s "${sid[*]}" '{scene_ids: ($s | split(" "))}')"
expect_json '[.scenes[].id] | join(" ")' "${sid[*]}"

echo "409 movie_busy while rendering (runner stopped, so it stays rendering)"
edit_scene 1 '{"prompt": "Stale four: the kite lands in an oak"}' "stale succeeded succeeded succeeded" "one stale scene to render"
on_exit stack up runner
stack down runner
api POST "/api/v1/movies/$M/render"
expect_status 202 "render again"
expect_json .status rendering
busy() { # WHAT METHOD PATH [BODY]
	api "$2" "$3" "${4-}"
	expect_problem 409 "$1 while rendering"
	expect_json .code movie_busy
}
busy "PATCH the movie" PATCH "/api/v1/movies/$M" '{"title": "x"}'
busy "add a scene" POST "/api/v1/movies/$M/scenes" '{"prompt": "x"}'
busy "edit a scene" PATCH "/api/v1/movies/$M/scenes/${sid[1]}" '{"title": "x"}'
busy "delete a scene" DELETE "/api/v1/movies/$M/scenes/${sid[1]}"
busy "reorder" POST "/api/v1/movies/$M/scenes/reorder" "$(jq -cn --arg s "${sid[*]}" '{scene_ids: ($s | split(" "))}')"
busy "render" POST "/api/v1/movies/$M/render"
busy "regenerate" POST "/api/v1/movies/$M/scenes/${sid[1]}/regenerate"
api GET "/api/v1/movies/$M"
expect_json .title "Stale rules 2"
expect_json '.scenes | length' 4
api POST "/api/v1/movies/$M/cancel"
expect_status 202 "cancel"
stack up runner
wait_movie "$M" 60 cancelled failed succeeded || true
expect_eq "$MOVIE_STATUS" cancelled "the movie ends cancelled"
api POST "/api/v1/movies/$M/cancel"
expect_problem 409 "cancel a cancelled movie"

# ---------------------------------------------------------------- user B
echo "user B sees nothing of A's movie"
frames=$(sqlv "SELECT id FROM files WHERE movie_id = :'m' ORDER BY created_at" m="$M")
check "continuity made frame files for the movie" test -n "$frames"
TOKEN=$B_TOKEN
api GET "/api/v1/movies/$M"
expect_problem 404 "B reads A's movie"
api GET /api/v1/movies
expect_json '.items | length' 0
for call in "PATCH /api/v1/movies/$M {\"title\":\"mine\"}" "DELETE /api/v1/movies/$M" \
	"POST /api/v1/movies/$M/render" "POST /api/v1/movies/$M/cancel" \
	"POST /api/v1/movies/$M/scenes {\"prompt\":\"mine\"}" \
	"PATCH /api/v1/movies/$M/scenes/${sid[0]} {\"prompt\":\"mine\"}" \
	"DELETE /api/v1/movies/$M/scenes/${sid[0]}" \
	"POST /api/v1/movies/$M/scenes/${sid[0]}/regenerate" \
	"POST /api/v1/movies/$M/scenes/reorder {\"scene_ids\":[\"${sid[0]}\"]}" \
	"GET /api/v1/movies/$M/content" "GET /api/v1/movies/$M/content?format=webm" \
	"GET /api/v1/movies/$M/poster" "GET /api/v1/movies/$M/contact-sheet" \
	"GET /api/v1/movies/$M/hls/index.m3u8" "GET /api/v1/movies/$M/hls/seg_000.ts" \
	"GET /api/v1/movies/$M/subtitles.vtt"; do
	read -r method path body <<<"$call"
	api "$method" "$path" "${body:-}"
	expect_problem 404 "B: $method $path"
done
for v in $takes0; do
	api GET "/api/v1/videos/$v"
	expect_problem 404 "B reads A's take"
	api GET "/api/v1/videos/$v/content"
	expect_problem 404 "B downloads A's take"
done
for f in $frames; do
	api GET "/api/v1/files/$f"
	expect_problem 404 "B reads A's continuity frame"
	api GET "/api/v1/files/$f/content"
	expect_problem 404 "B downloads A's continuity frame"
done
TOKEN=$A_TOKEN
api GET "/api/v1/movies/$M"
expect_json .title "Stale rules 2"
expect_json '.scenes | length' 4

# ---------------------------------------------------------------- DELETE
echo "DELETE removes the movie, its takes and every file"
takes_all=$(sqlv "SELECT id FROM videos WHERE movie_id = :'m'" m="$M")
check "the movie has takes" test -n "$takes_all"
frame_paths=$(sqlv "SELECT storage_path FROM files WHERE movie_id = :'m'" m="$M")
take_files=$(for v in $takes_all; do stored_files "$v"; done)
check "the takes' files are in the storage dir" test -n "$take_files"
movie_dirs=$(find "$STORAGE_DIR/movies" -mindepth 2 -maxdepth 2 -type d -name "$M" 2>/dev/null)
check "the film's directory is under movies/" test -n "$movie_dirs"
api DELETE "/api/v1/movies/$M"
expect_status 204 "delete the movie"
api GET "/api/v1/movies/$M"
expect_problem 404 "the movie is gone"
expect_eq "$(sqlv "SELECT count(*) FROM videos WHERE movie_id = :'m'" m="$M")" 0 "no take rows left"
expect_eq "$(sqlv "SELECT count(*) FROM scenes WHERE movie_id = :'m'" m="$M")" 0 "no scene rows left"
expect_eq "$(sqlv "SELECT count(*) FROM files WHERE movie_id = :'m'" m="$M")" 0 "no frame rows left"
v1=$(head -n1 <<<"$takes_all")
api GET "/api/v1/videos/$v1"
expect_problem 404 "a take is gone from the API"
left=$(for v in $takes_all; do stored_files "$v"; done)
expect_eq "${left:-none}" none "no take file left in the storage dir"
left=""
for p in $frame_paths; do [ -e "$STORAGE_DIR/$p" ] && left+="$p "; done
expect_eq "${left:-none}" none "no frame file left"
left=""
for d in $movie_dirs; do [ -e "$d" ] && left+="$d "; done
expect_eq "${left:-none}" none "the film's directory is gone"
api DELETE "/api/v1/movies/$M"
expect_problem 404 "delete it again"
for id in "$FIRST" "$FIFTY" "$THIRD"; do api DELETE "/api/v1/movies/$id"; done
expect_status 204 "delete a draft"

expect_no_5xx
