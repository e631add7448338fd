#!/usr/bin/env bash
# Movies, planning: the Gemini planner against the fake Gemini API (a good answer held to
# scene_count, duplicates dropped, bad durations and transitions replaced; a truncated answer,
# a blocked prompt, a safety stop, an answer without prompts, too few scenes: all `failed`
# with the reason and no half plan), then the local planner (movies.planner = "local" in the
# stack's config, reloaded with HUP): a script split deterministically, a concept laid out as
# an outline of beats with outline_only.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_fake.sh"
. "$here/lib_movie.sh"

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN
RUN=$RANDOM$RANDOM

plan() { # CONCEPT [EXTRA JSON] → MOVIE_ID, after the plan ended (MOVIE_STATUS)
	create_movie "$(jq -cn --arg c "$1" --argjson x "${2:-{\}}" \
		'{title: "plan test", concept: $c, preset: "commercial", scene_count: 3} + $x')" || return 1
	# the runner may finish a plan that fails fast before the response is read back
	check "a new movie with a concept is planning ($(json .status))" eval '[[ $(json .status) =~ ^(planning|draft|failed)$ ]]'
	[ "$(json .status)" != planning ] || expect_json '.scenes | length' 0
	wait_movie "$MOVIE_ID" 120 draft failed || return 1
}

echo "gemini planner (movies.planner auto, the fake's key): a good answer"
answer=$(jq -cn '{scenes: [
	{title: "Gates", prompt: "Plan one: the fair opens its gates at dawn", duration_seconds: 6, camera: "wide",
	 caption: "Morning", transition: "dissolve"},
	{title: "Again", prompt: "Plan one: the fair opens its gates at dawn", duration_seconds: 6},
	{title: "Wheel", prompt: "Plan two: the ferris wheel turns against the sky", duration_seconds: 5,
	 camera: null, caption: "Up", transition: "spin"},
	{title: "Candy", prompt: "Plan three: a child with candy floss laughs", duration_seconds: 4},
	{title: "Night", prompt: "Plan four: lights go out, the fair closes", duration_seconds: 8}]}')
plan "fake:answer=$answer A day at the fair [good-$RUN]" '{"scene_duration_seconds": 8, "style": "vintage"}' || exit 1
GOOD=$MOVIE_ID
expect_eq "$MOVIE_STATUS" draft "a good plan is a draft"
expect_json .error null
expect_json .stage null
expect_json '.scenes | length' 3
expect_json .scene_count 3
expect_json '[.scenes[].position] | join(",")' "1,2,3"
expect_json '[.scenes[].prompt] | join("|")' \
	"Plan one: the fair opens its gates at dawn|Plan two: the ferris wheel turns against the sky|Plan three: a child with candy floss laughs"
expect_json '[.scenes[].title] | join(",")' "Gates,Wheel,Candy"
expect_json '[.scenes[].duration_seconds] | join(",")' "6,8,4"
expect_json '.scenes[0].camera' wide
expect_json '.scenes[0].transition' dissolve
expect_json '.scenes[1].transition' null
expect_json '[.scenes[].status] | join(",")' "pending,pending,pending"
expect_json .outline_only false
expect_eq "$(sqlv "SELECT planner FROM movies WHERE id = :'m'" m="$GOOD")" gemini "planner auto chose gemini"
req=$(fake_get "/_fake/requests?prefix=/v1beta" | jq -c --arg t "good-$RUN" \
	'[.[] | select(.method == "POST" and (.path | endswith(":generateContent"))) | select(tostring | contains($t))][0].body')
check "the planner asked generateContent" test -n "$req" -a "$req" != null
check "with a JSON schema for the scenes" jq -e '.generationConfig | (.responseSchema // .responseJsonSchema // .response_schema) != null' <<<"$req"
check "asking for 3 scenes" grep -q "3" <<<"$(jq -r '.contents[-1].parts[0].text' <<<"$req")"
api GET "/api/v1/movies/$GOOD/content"
expect_problem 409 "a planned movie has no film yet"

echo "gemini planner: answers that are no plan"
plan "fake:maxtokens A storm at sea [trunc-$RUN]" || exit 1
expect_eq "$MOVIE_STATUS" failed "a truncated answer fails the plan"
expect_json .error.code plan_invalid
check "the message says why ($(json .error.message))" test -n "$(json .error.message)" -a "$(json .error.message)" != null
expect_json .error.retryable false
expect_json '.scenes | length' 0
TRUNC=$MOVIE_ID
api POST "/api/v1/movies/$TRUNC/render"
expect_problem 409 "no scenes to render"

plan "fake:blocked A forbidden concept [blocked-$RUN]" || exit 1
expect_eq "$MOVIE_STATUS" failed "a blocked prompt fails the plan"
expect_json .error.code safety_filtered
check "the message says it was blocked ($(json .error.message))" test -n "$(json .error.message)"
expect_json '.scenes | length' 0

plan "fake:safety A concept stopped for safety [safety-$RUN]" || exit 1
expect_eq "$MOVIE_STATUS" failed "a safety stop fails the plan"
expect_json .error.code safety_filtered
expect_json '.scenes | length' 0

plan "fake:answer={\"scenes\": [{\"title\": \"a\", \"prompt\": \"ok\"}, {\"title\": \"b\"}, {\"title\": \"c\", \"prompt\": \"fine\"}]} No prompt [noprompt-$RUN]" || exit 1
expect_eq "$MOVIE_STATUS" failed "an answer with a scene without a prompt fails the plan"
expect_json .error.code plan_invalid
check "the message names the scene ($(json .error.message))" grep -qi "scene" <<<"$(json .error.message)"
expect_json '.scenes | length' 0

plan "fake:answer={\"scenes\": [{\"prompt\": \"only one\"}]} Too short [few-$RUN]" || exit 1
expect_eq "$MOVIE_STATUS" failed "too few scenes fail the plan"
expect_json .error.code plan_invalid
expect_json '.scenes | length' 0

echo "local planner (movies.planner = \"local\", reloaded)"
cp "$VEOGEN_CONF" "$IT_WORK/conf.orig"
restore() {
	cp "$IT_WORK/conf.orig" "$VEOGEN_CONF"
	kill -HUP "$(pid_of fcgi)"
	sleep 2
}
on_exit restore
conf_set "$VEOGEN_CONF" movies planner '"local"'
kill -HUP "$(pid_of fcgi)"
sleep 3

script3=$'The lighthouse keeper wakes before dawn and climbs the spiral stairs.\n\nThe lamp turns slowly over a grey and restless sea.\n\nA ship answers with its horn far out in the fog.'
create_movie "$(jq -cn --arg s "$script3" '{title: "Keeper", script: $s, preset: "commercial", scene_count: 3, scene_duration_seconds: 6}')" || exit 1
S3=$MOVIE_ID
check "a new movie with a script is planning ($(json .status))" eval '[[ $(json .status) =~ ^(planning|draft)$ ]]'
wait_movie "$S3" 120 draft failed || exit 1
expect_eq "$MOVIE_STATUS" draft "a script is planned locally"
expect_eq "$(sqlv "SELECT planner FROM movies WHERE id = :'m'" m="$S3")" local "planner local"
expect_json '.scenes | length' 3
expect_json '[.scenes[].prompt] | join("|")' \
	"The lighthouse keeper wakes before dawn and climbs the spiral stairs.|The lamp turns slowly over a grey and restless sea.|A ship answers with its horn far out in the fog."
expect_json '[.scenes[].duration_seconds] | join(",")' "6,6,6"
check "titles are the first six words ($(json '.scenes[0].title'))" grep -q "^The lighthouse keeper wakes before dawn" <<<"$(json '.scenes[0].title')"
expect_json .outline_only false
plan1=$(json '[.scenes[] | [.title, .prompt, .caption]] | tostring')

create_movie "$(jq -cn --arg s "$script3" '{title: "Keeper again", script: $s, preset: "commercial", scene_count: 3, scene_duration_seconds: 6}')" || exit 1
wait_movie "$MOVIE_ID" 120 draft failed || exit 1
expect_eq "$(json '[.scenes[] | [.title, .prompt, .caption]] | tostring')" "$plan1" "the same script gives the same plan"

echo "the local planner splits at sentences, merges the shortest neighbours"
script2=$'The keeper wakes before dawn. He climbs the stairs.\n\nThe lamp turns over the sea. Ships pass far away.'
create_movie "$(jq -cn --arg s "$script2" '{title: "Split", script: $s, scene_count: 4, preset: "commercial", scene_duration_seconds: 4}')"
# commercial is 3–5: 4 fits
wait_movie "$MOVIE_ID" 120 draft failed || exit 1
expect_json '[.scenes[].prompt] | join("|")' \
	"The keeper wakes before dawn.|He climbs the stairs.|The lamp turns over the sea.|Ships pass far away."
script4=$'A long first paragraph about the harbour waking up slowly in the cold grey light of morning.\n\nRain.\n\nWind.\n\nA long last paragraph about the boats coming home at night with their lamps lit and nets full.'
create_movie "$(jq -cn --arg s "$script4" '{title: "Merge", script: $s, preset: "commercial", scene_count: 3}')"
wait_movie "$MOVIE_ID" 120 draft failed || exit 1
expect_json '.scenes | length' 3
expect_json '.scenes[1].prompt' "Rain. Wind."
expect_json '.scenes[0].prompt' "A long first paragraph about the harbour waking up slowly in the cold grey light of morning."
# the local split is deterministic, so a script it cannot split is refused at once
api POST /api/v1/movies "$(jq -cn '{title: "Too few words", script: "Two words", preset: "commercial", scene_count: 3}')"
expect_status 422 "a script with fewer words than scenes cannot be planned"
check "and the script field says why: too few words" grep -qi "words" <<<"$(json '.errors[] | select(.field == "script") | .message')"
api GET "/api/v1/movies?limit=100"
expect_json '[.items[] | select(.title == "Too few words")] | length' 0

echo "the local planner lays a concept out as an outline"
concept="A fox learns to fish [outline-$RUN]"
create_movie "$(jq -cn --arg c "$concept" '{title: "Fox", concept: $c, preset: "commercial", scene_count: 5}')" || exit 1
wait_movie "$MOVIE_ID" 120 draft failed || exit 1
expect_eq "$MOVIE_STATUS" draft "a concept is planned locally"
expect_json .outline_only true
expect_json '.scenes | length' 5
check "scene 1 is the establishing beat ($(json '.scenes[0].title'))" grep -qi "^establishing" <<<"$(json '.scenes[0].title')"
check "the last scene closes ($(json '.scenes[4].title'))" grep -qiE "^(closing|resolution)" <<<"$(json '.scenes[4].title')"
expect_json "[.scenes[].prompt | endswith(\": $concept\")] | all" true
expect_json '[.scenes[].prompt] | unique | length' 5
expect_json '[.scenes[].duration_seconds] | unique | join(",")' 8
expect_eq "$(fake_get "/_fake/requests?prefix=/v1beta" | jq --arg t "outline-$RUN" '[.[] | select(tostring | contains($t))] | length')" 0 \
	"the local planner asked Gemini nothing"

expect_no_5xx
