#!/usr/bin/env bash
# Movies, when things go wrong: a scene the provider refuses fails the movie with that scene's
# error, keeps the good scenes and stops the rest, and a later render resumes where it
# stopped; a budget lowered while a movie renders stops it before the scene that would pass
# it (that scene is never submitted); scene takes run within movies.scene_concurrency_per_user.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_fake.sh"
. "$here/lib_movie.sh"

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN
RUN=$RANDOM$RANDOM

unfinished_jobs() { # movie id → jobs of the movie (plan/assembly, takes) not yet ended
	sqlv "SELECT count(*) FROM jobs j WHERE j.state IN ('blocked', 'queued', 'running') AND
	      (j.id IN (SELECT job_id FROM videos WHERE movie_id = :'m') OR
	       j.id IN (SELECT job_id FROM movies WHERE id = :'m'))" m="$1"
}

echo "a scene the provider refuses fails the movie; the good scene is kept"
create_movie "$(jq -cn --arg r "$RUN" '{title: "Refused", provider: "gemini", continuity: true,
	scenes: [{prompt: ("a harbour at dawn [ok1-" + $r + "]")},
	         {prompt: ("fake:error=3 a scene the model refuses [bad-" + $r + "]")},
	         {prompt: ("boats leave the harbour [ok3-" + $r + "]")}]}')" || exit 1
M=$MOVIE_ID
read -r S1 S2 S3 <<<"$(scene_ids)"
render_movie "$M"
wait_movie "$M" 300 failed succeeded || exit 1
expect_eq "$MOVIE_STATUS" failed "the movie fails with its scene"
expect_json .error.code provider_rejected
expect_json .error.scene_id "$S2"
check "the message names scene 2 ($(json .error.message))" grep -q "^scene 2" <<<"$(json .error.message)"
expect_json '[.scenes[].status] | join(" ")' "succeeded failed cancelled"
expect_eq "$(unfinished_jobs "$M")" 0 "no job of the movie is left queued, blocked or running"
expect_eq "$(submits_of "ok3-$RUN" | wc -l)" 0 "scene 3 (after the failed one) was never submitted"
TAKE1=$(json '.scenes[0].video_id')

echo "fix the scene and render again: only what is missing is made"
api PATCH "/api/v1/movies/$M/scenes/$S2" "$(jq -cn --arg r "$RUN" '{prompt: ("the harbour at noon [fixed-" + $r + "]")}')"
expect_status 200 "edit the failed scene"
# with continuity the scene after the edited one is stale too (its take started elsewhere)
expect_json '[.scenes[].status] | join(" ")' "succeeded stale stale"
render_movie "$M"
wait_movie "$M" 300 succeeded failed || exit 1
expect_eq "$MOVIE_STATUS" succeeded "the movie resumes and succeeds"
expect_json '.scenes[0].video_id' "$TAKE1"
expect_eq "$(submits_of "ok1-$RUN" | wc -l)" 1 "scene 1 was generated (and paid for) once"
expect_eq "$(submits_of "fixed-$RUN" | wc -l)" 1 "the fixed scene 2 was generated"
check "scene 3 continues from scene 2: the provider got a first frame" \
	test "$(submits_of "ok3-$RUN" | tail -n1 | jq -r '.instances[0].image.mimeType')" = image/png
expect_eq "$(sqlv "SELECT count(*) FROM videos WHERE scene_id = :'s'" s="$S2")" 2 \
	"the failed take of scene 2 is kept beside the new one"

echo "a budget lowered while the movie renders stops it before the scene that would pass it"
create_movie "$(jq -cn --arg r "$RUN" '{title: "Budget", provider: "gemini", continuity: true, budget_usd: 1000,
	scenes: [{prompt: ("the first scene [b1-" + $r + "]"), duration_seconds: 8},
	         {prompt: ("the second scene [b2-" + $r + "]"), duration_seconds: 8}]}')" || exit 1
B=$MOVIE_ID
one=$(json '.estimated_cost_usd / 2')
render_movie "$B"
# room for exactly one scene: the first fits, the second would pass the budget
sqlv "UPDATE movies SET budget_usd = :'b'::numeric WHERE id = :'m'" b="$one" m="$B" >/dev/null
wait_movie "$B" 300 failed succeeded || exit 1
expect_eq "$MOVIE_STATUS" failed "the movie stops at the budget"
expect_json .error.code budget_exceeded
check "the message says how to go on ($(json .error.message))" grep -q "raise budget_usd" <<<"$(json .error.message)"
expect_json '[.scenes[].status] | join(" ")' "succeeded failed"
expect_eq "$(submits_of "b2-$RUN" | wc -l)" 0 "the scene over the budget was never submitted"
check "the movie spent no more than its budget ($(json .spent_cost_usd) of $one)" \
	awk -v s="$(json .spent_cost_usd)" -v b="$one" 'BEGIN { exit !(s > 0 && s <= b + 0.0001) }'

echo "scene takes run within movies.scene_concurrency_per_user"
most_running() { # movie id, seconds → the most takes of the movie seen running at once
	local m=$1 until=$((SECONDS + $2)) most=0 n
	while [ $SECONDS -lt $until ]; do
		n=$(sqlv "SELECT count(*) FROM videos WHERE movie_id = :'m' AND status = 'running'" m="$m")
		[ "$n" -gt "$most" ] && most=$n
		[ "$(sqlv "SELECT status FROM movies WHERE id = :'m'" m="$m")" = succeeded ] && break
		sleep 0.2
	done
	echo "$most"
}
parallel_movie() {
	create_movie "$(jq -cn --arg t "$1" '{title: $t, continuity: false, scenes: [
		{prompt: "one", duration_seconds: 4}, {prompt: "two", duration_seconds: 4},
		{prompt: "three", duration_seconds: 4}]}')" || return 1
	render_movie "$MOVIE_ID"
}
parallel_movie "Parallel" || exit 1
most=$(most_running "$MOVIE_ID" 240)
check "without continuity scenes render in parallel ($most at once)" test "$most" -ge 2
cp "$VEOGEN_CONF" "$IT_WORK/conf.orig"
restore() {
	cp "$IT_WORK/conf.orig" "$VEOGEN_CONF"
	kill -HUP "$(pid_of runner)"
	sleep 2
}
on_exit restore
conf_set "$VEOGEN_CONF" movies scene_concurrency_per_user 1
kill -HUP "$(pid_of runner)"
sleep 3
parallel_movie "One at a time" || exit 1
most=$(most_running "$MOVIE_ID" 240)
expect_eq "$most" 1 "with scene_concurrency_per_user = 1 one take runs at a time"
wait_movie "$MOVIE_ID" 240 succeeded failed || exit 1
expect_eq "$MOVIE_STATUS" succeeded "and the movie still finishes"

expect_no_5xx
