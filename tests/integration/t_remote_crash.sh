#!/usr/bin/env bash
# kill -9 of the runner between a Veo submit and its polls: after the restart the operation
# is polled again under its committed name, never submitted twice (each submit is billed).
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_fake.sh"

new_user A || exit 1
TOKEN=$A_TOKEN
on_exit stack up runner
TAG="crash-$RANDOM$RANDOM"
create_video "$(jq -cn --arg p "fake:done=12000 a long generation [$TAG]" '{prompt: $p, provider: "gemini"}')" || exit 1
ID=$VIDEO_ID
JOB=$(sqlv "SELECT job_id FROM videos WHERE id = :'id'" id="$ID")
committed() { [ -n "$(sqlv "SELECT operation_name FROM videos WHERE id = :'id'" id="$ID")" ]; }
check "the operation name is committed" wait_until 30 committed
op=$(sqlv "SELECT operation_name FROM videos WHERE id = :'id'" id="$ID")
check "the committed name is the fake's operation ($op)" test "$op" = "$(fake_op "$TAG" .name)"

master=$(pid_of runner)
victims=$(
	printf '%s\n' "$master"
	descendants_of "$master"
)
kill -KILL -- "-$master" 2>/dev/null
for pid in $victims; do kill -KILL "$pid" 2>/dev/null; done
api GET "/api/v1/videos/$ID"
expect_json .status running
expect_json .stage generating
polls_before=$(fake_op "$TAG" .polls)

stack up runner
WAIT_LIMIT=120 expect_video "$ID" succeeded
expect_eq "$(submits_of "$TAG" | wc -l)" 1 "the generation was submitted once"
check "the operation was polled after the restart" test "$(fake_op "$TAG" .polls)" -gt "$polls_before"
check "the job was claimed again ($(sqlv "SELECT attempt FROM jobs WHERE id = :'id'" id="$JOB") claims)" \
	test "$(sqlv "SELECT attempt FROM jobs WHERE id = :'id'" id="$JOB")" -ge 2
expect_eq "$(stored_files "$ID" | grep -c '\.tmp')" 0 "no temp files left"
