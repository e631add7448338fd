#!/usr/bin/env bash
# The job queue for admins: GET /api/v1/admin/jobs (filters, paging), GET one, retry and
# cancel through the API and through `veogenctl job`, with the videos and movies they work
# for kept in line and the audit rows they write.  A video made to fail for good by the fake
# provider (its first submit is refused) is retried and then succeeds; queued jobs are
# cancelled while the runner is stopped, so they stay queued.
# shellcheck disable=SC2016 # jq programs and eval'd checks expand later, on purpose
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_fake.sh"
. "$here/lib_movie.sh"
. "$here/lib_admin.sh"

new_user A || exit 1
new_admin || {
	fail "an admin account (lib_admin.sh new_admin)"
	exit 1
}
RUN=$RANDOM$RANDOM
NOBODY=$(uuid)

job_of() { psql_veogen "SELECT job_id FROM videos WHERE id = '$1'"; }
job_state() { psql_veogen "SELECT state FROM jobs WHERE id = '$1'"; }
audit_count() { # ACTION JOB_ID [EXTRA SQL CONDITION]
	psql_veogen "SELECT count(*) FROM audit_log WHERE action = '$1' AND target_type = 'job'
	             AND target_id = '$2' ${3:+AND $3}"
}
ctl_rc() { # runs veogenctl: stdout in $CTL_OUT, stderr in $CTL_ERR, exit status in $CTL_RC
	local rc=0
	veogenctl "$@" >"$IT_WORK/ctl.out" 2>"$IT_WORK/ctl.err" || rc=$?
	CTL_OUT=$(cat "$IT_WORK/ctl.out")
	CTL_ERR=$(cat "$IT_WORK/ctl.err")
	CTL_RC=$rc
}
as_admin() { TOKEN=$ADMIN_TOKEN api "$@"; }
jqt() { jq -e "$@" >/dev/null; } # a jq test: its exit status only

echo "only admins see the queue"
TOKEN=$A_TOKEN api GET /api/v1/admin/jobs
expect_problem 403 "a user may not list jobs"
TOKEN=$A_TOKEN api GET "/api/v1/admin/jobs/$NOBODY"
expect_problem 403 "a user may not read a job"
TOKEN=$A_TOKEN api POST "/api/v1/admin/jobs/$NOBODY/retry"
expect_problem 403 "a user may not retry a job"
TOKEN=$A_TOKEN api POST "/api/v1/admin/jobs/$NOBODY/cancel"
expect_problem 403 "a user may not cancel a job"
TOKEN="" api GET /api/v1/admin/jobs
expect_problem 401 "no token"

echo "bad queries and unknown jobs"
for q in "limit=0" "limit=101" "limit=x" "state=done" "kind=video" "cursor=nope" \
	"cursor=$NOBODY" "status=failed" "state=failed&state=queued"; do
	as_admin GET "/api/v1/admin/jobs?$q"
	expect_problem 400 "$q"
done
as_admin GET "/api/v1/admin/jobs?state=sleeping"
check "the 400 names the allowed states" grep -q "blocked, queued, running, succeeded, failed, cancelled" <<<"$(json .detail)"
for p in "$NOBODY" "$NOBODY/retry" "$NOBODY/cancel" "not-a-uuid" "not-a-uuid/retry"; do
	case $p in */*) m=POST ;; *) m=GET ;; esac
	as_admin "$m" "/api/v1/admin/jobs/$p"
	expect_problem 404 "unknown job $p"
done

echo "a video that fails for good, listed with state=failed"
TOKEN=$A_TOKEN create_video "$(jq -cn --arg p "fake:submit400=1 a refused first try [retry-$RUN]" \
	'{prompt: $p, provider: "gemini", duration_seconds: 6}')" || exit 1
FAILED_VIDEO=$VIDEO_ID
TOKEN=$A_TOKEN expect_video "$FAILED_VIDEO" failed provider_rejected
FAILED_JOB=$(job_of "$FAILED_VIDEO")
expect_eq "$(job_state "$FAILED_JOB")" failed "its job failed for good"
as_admin GET "/api/v1/admin/jobs?state=failed&kind=video.generate&limit=100"
expect_status 200
check "the failed job is in the list" jqt --arg j "$FAILED_JOB" 'any(.items[]; .id == $j)' "$API_BODY"
check "every item is a failed video.generate job" \
	jqt 'all(.items[]; .state == "failed" and .kind == "video.generate")' "$API_BODY"
item=$(jq -c --arg j "$FAILED_JOB" '.items[] | select(.id == $j)' "$API_BODY")
expect_eq "$(jq -r .video_id <<<"$item")" "$FAILED_VIDEO" "the item names its video"
expect_eq "$(jq -r .user_id <<<"$item")" "$A_ID" "the item names the video's owner"
expect_eq "$(jq -r .movie_id <<<"$item")" null "a plain video has no movie"
expect_eq "$(jq -r .last_error.code <<<"$item")" provider_rejected "the item shows the last error"
check "finished_at is RFC 3339" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' <<<"$(jq -r .finished_at <<<"$item")"
expect_eq "$(jq -r 'keys_unsorted | join(",")' <<<"$item")" \
	"id,kind,state,step,priority,attempt,retries,max_attempts,run_at,lease_until,locked_by,heartbeat_at,last_error,video_id,movie_id,user_id,created_at,started_at,finished_at" \
	"the fields of a job"
as_admin GET "/api/v1/admin/jobs/$FAILED_JOB"
expect_status 200 "one job"
expect_json .payload.video_id "$FAILED_VIDEO"
expect_json '.depends_on | length' 0
expect_json '.state_data | type' object
ATTEMPT_BEFORE=$(json .attempt)

echo "retry: not while it runs, not once it succeeded"
TOKEN=$A_TOKEN create_video "$(jq -cn --arg p "fake:never a video that never finishes [never-$RUN]" \
	'{prompt: $p, provider: "gemini", duration_seconds: 6}')" || exit 1
NEVER_VIDEO=$VIDEO_ID
NEVER_JOB=$(job_of "$NEVER_VIDEO")
check "the never-ending video runs" wait_until 60 eval "TOKEN=\$A_TOKEN api GET /api/v1/videos/$NEVER_VIDEO && [ \"\$(json .status)\" = running ]"
as_admin POST "/api/v1/admin/jobs/$NEVER_JOB/retry"
expect_problem 409 "retry of a running job"
expect_json .code not_retryable
check "the 409 says what to do" grep -q "only a failed or cancelled job" <<<"$(json .detail)"

echo "cancel a running job: its video is cancelled as the owner's cancel does"
as_admin POST "/api/v1/admin/jobs/$NEVER_JOB/cancel"
expect_status 200 "cancel a running job"
expect_json .state cancelled
TOKEN=$A_TOKEN api GET "/api/v1/videos/$NEVER_VIDEO"
expect_json .status cancelled
expect_json .error.code cancelled
expect_json .error.message "cancelled by an administrator"
expect_eq "$(audit_count job.cancel "$NEVER_JOB" "user_id = '$ADMIN_ID' AND details->>'via' = 'api' AND details->>'from' IN ('queued', 'running')")" 1 \
	"one job.cancel audit row with the admin, via api, from where it was"
as_admin POST "/api/v1/admin/jobs/$NEVER_JOB/cancel"
expect_problem 409 "cancel of a finished job"
expect_json .code already_finished

echo "with the runner stopped: retry the failed job, cancel queued jobs"
on_exit stack up runner
stack down runner
as_admin POST "/api/v1/admin/jobs/$FAILED_JOB/retry"
expect_status 200 "retry a failed job"
expect_json .state queued
expect_json .retries 0
expect_json .last_error null
expect_json .lease_until null
expect_json .locked_by null
expect_json .finished_at null
expect_json .step start
check "attempt never goes down (the fencing token)" test "$(json .attempt)" -ge "$ATTEMPT_BEFORE"
check "run_at is now" test "$(psql_veogen "SELECT run_at <= now() AND run_at > now() - interval '1 minute' FROM jobs WHERE id = '$FAILED_JOB'")" = t
TOKEN=$A_TOKEN api GET "/api/v1/videos/$FAILED_VIDEO"
expect_json .status queued
expect_json .stage queued
expect_json .progress 0
expect_json .error null
expect_eq "$(audit_count job.retry "$FAILED_JOB" "user_id = '$ADMIN_ID' AND details->>'via' = 'api' AND details->>'from' = 'failed' AND details->>'video_id' = '$FAILED_VIDEO'")" 1 \
	"one job.retry audit row"
as_admin POST "/api/v1/admin/jobs/$FAILED_JOB/retry"
expect_problem 409 "retry of a queued job"

TOKEN=$A_TOKEN create_video "{\"prompt\": \"t_admin_jobs queued $RUN\", \"duration_seconds\": 4}" || exit 1
QUEUED_VIDEO=$VIDEO_ID
QUEUED_JOB=$(job_of "$QUEUED_VIDEO")
as_admin GET "/api/v1/admin/jobs?state=queued&limit=100"
check "the queued job is listed with state=queued" jqt --arg j "$QUEUED_JOB" 'any(.items[]; .id == $j)' "$API_BODY"
as_admin POST "/api/v1/admin/jobs/$QUEUED_JOB/cancel"
expect_status 200 "cancel a queued job"
expect_json .state cancelled
expect_json .last_error.code cancelled
TOKEN=$A_TOKEN api GET "/api/v1/videos/$QUEUED_VIDEO"
expect_json .status cancelled
expect_json .error.code cancelled

echo "retry of a cancelled job"
as_admin POST "/api/v1/admin/jobs/$QUEUED_JOB/retry"
expect_status 200 "retry a cancelled job"
expect_json .state queued
TOKEN=$A_TOKEN api GET "/api/v1/videos/$QUEUED_VIDEO"
expect_json .status queued

echo "a movie's job: cancel stops the movie, retry says to render it again"
TOKEN=$A_TOKEN create_movie "$(jq -cn '{title: "Admin stop", script: "A fox wakes.\n\nThe fox runs.\n\nThe fox sleeps.", scene_count: 3, preset: "commercial", provider: "local"}')"
MOVIE=$MOVIE_ID
PLAN_JOB=$(psql_veogen "SELECT job_id FROM movies WHERE id = '$MOVIE'")
as_admin GET "/api/v1/admin/jobs/$PLAN_JOB"
expect_json .kind movie.plan
expect_json .movie_id "$MOVIE"
expect_json .user_id "$A_ID"
as_admin POST "/api/v1/admin/jobs/$PLAN_JOB/cancel"
expect_status 200 "cancel a movie's plan job"
expect_json .state cancelled
TOKEN=$A_TOKEN api GET "/api/v1/movies/$MOVIE"
expect_json .status cancelled
as_admin POST "/api/v1/admin/jobs/$PLAN_JOB/retry"
expect_problem 409 "retry of a movie job"
expect_json .code movie_job
check "the 409 says how to start the movie again" grep -q "POST /api/v1/movies" <<<"$(json .detail)"

echo "veogenctl job"
ctl_rc job --help
expect_eq "$CTL_RC" 0 "job --help"
check "job --help documents every subcommand" eval 'grep -q "job list \[--state S\]" <<<"$CTL_OUT" && grep -q "Usage: veogenctl \[-c CONF\] job cancel ID" <<<"$CTL_OUT"'
ctl_rc job list --help
expect_eq "$CTL_RC" 0 "job list --help"
check "job list --help has an exit status section" grep -q "^Exit status" <<<"$CTL_OUT"
ctl_rc job list --state sleeping
expect_eq "$CTL_RC" 64 "a bad --state is a usage error"
check "the message names the allowed states" grep -q "blocked, queued, running" <<<"$CTL_ERR"
ctl_rc job list --limit 0
expect_eq "$CTL_RC" 64 "a bad --limit is a usage error"
ctl_rc job frobnicate
expect_eq "$CTL_RC" 64 "an unknown subcommand"
ctl_rc job show
expect_eq "$CTL_RC" 64 "show without an ID"

ctl_rc job list --state queued --kind video.generate --limit 100 --json
expect_eq "$CTL_RC" 0 "job list --json"
check "job list --json parses and lists the queued job" \
	jqt --arg j "$QUEUED_JOB" 'any(.items[]; .id == $j) and all(.items[]; .state == "queued") and has("next_cursor")' <<<"$CTL_OUT"
ctl_rc job list --state queued
expect_eq "$CTL_RC" 0 "job list (table)"
check "the table has a header and the job" eval 'head -n1 <<<"$CTL_OUT" | grep -q "^ID .*KIND .*STATE" && grep -q "^$QUEUED_JOB .*video.generate .*queued" <<<"$CTL_OUT"'
ctl_rc job show "$QUEUED_JOB" --json
expect_eq "$CTL_RC" 0 "job show --json"
expect_eq "$(jq -r '.id + " " + .video_id' <<<"$CTL_OUT")" "$QUEUED_JOB $QUEUED_VIDEO" "job show --json is the job"
ctl_rc job show "$QUEUED_JOB"
check "job show prints its fields" eval 'grep -Eq "^state +queued$" <<<"$CTL_OUT" && grep -Eq "^video_id +$QUEUED_VIDEO$" <<<"$CTL_OUT"'
ctl_rc job show "$NOBODY"
expect_eq "$CTL_RC" 66 "job show of an unknown id: EX_NOINPUT"
ctl_rc job retry "$QUEUED_JOB"
expect_eq "$CTL_RC" 65 "job retry of a queued job: EX_DATAERR"
check "it says what can be retried" grep -q "only a failed or cancelled job can be retried" <<<"$CTL_ERR"
ctl_rc job cancel "$QUEUED_JOB"
expect_eq "$CTL_RC" 0 "job cancel of a queued job"
expect_eq "$CTL_OUT" "job $QUEUED_JOB cancelled (video $QUEUED_VIDEO)" "job cancel says what it did"
TOKEN=$A_TOKEN api GET "/api/v1/videos/$QUEUED_VIDEO"
expect_json .status cancelled
expect_eq "$(audit_count job.cancel "$QUEUED_JOB" "user_id IS NULL AND details->>'via' = 'veogenctl' AND details ? 'unix_user'")" 1 \
	"veogenctl's cancel is audited with via veogenctl and the Unix user"
ctl_rc job cancel "$QUEUED_JOB"
expect_eq "$CTL_RC" 65 "job cancel of a finished job: EX_DATAERR"
ctl_rc job cancel "$NOBODY"
expect_eq "$CTL_RC" 66 "job cancel of an unknown id: EX_NOINPUT"
ctl_rc job retry "$QUEUED_JOB"
expect_eq "$CTL_RC" 0 "job retry of a cancelled job"
expect_eq "$CTL_OUT" "job $QUEUED_JOB queued (video $QUEUED_VIDEO)" "job retry says what it did"
ctl_rc job retry "$PLAN_JOB"
expect_eq "$CTL_RC" 65 "job retry of a movie job: EX_DATAERR"
check "it says to render the movie" grep -q "POST /api/v1/movies" <<<"$CTL_ERR"

echo "the runner back: the retried jobs succeed"
stack up runner
TOKEN=$A_TOKEN expect_video "$FAILED_VIDEO" succeeded
expect_eq "$(submits_of "retry-$RUN" | wc -l)" 2 "one refused submit, then the retried one"
expect_eq "$(job_state "$FAILED_JOB")" succeeded "the retried job succeeded"
TOKEN=$A_TOKEN expect_video "$QUEUED_VIDEO" succeeded
as_admin POST "/api/v1/admin/jobs/$FAILED_JOB/retry"
expect_problem 409 "retry of a succeeded job"
expect_json .code not_retryable
ctl_rc job retry "$FAILED_JOB"
expect_eq "$CTL_RC" 65 "veogenctl job retry of a succeeded job: EX_DATAERR"

echo "paging: every job once, newest first, filters kept"
total=$(psql_veogen "SELECT count(*) FROM jobs WHERE kind = 'video.generate'")
cursor="" seen=() pages=0
while :; do
	as_admin GET "/api/v1/admin/jobs?kind=video.generate&limit=2${cursor:+&cursor=$cursor}"
	[ "$API_STATUS" = 200 ] || break
	mapfile -t ids < <(json '.items[].id')
	seen+=("${ids[@]}")
	pages=$((pages + 1))
	check "page $pages holds at most 2 video.generate jobs" \
		jqt '(.items | length) <= 2 and all(.items[]; .kind == "video.generate")' "$API_BODY"
	cursor=$(json '.next_cursor // empty')
	if [ -z "$cursor" ] || [ $pages -ge 200 ]; then break; fi
done
expect_eq "$API_STATUS" 200 "every page answered"
expect_eq "${#seen[@]}" "$total" "the pages hold every video.generate job"
expect_eq "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)" "$total" "no job on two pages"
want=$(psql_veogen "SELECT id FROM jobs WHERE kind = 'video.generate' ORDER BY created_at DESC, id DESC" | tr '\n' ' ')
expect_eq "$(printf '%s ' "${seen[@]}")" "$want" "newest first, as the database orders them"
ctl_rc job list --kind video.generate --limit 1 --json
next=$(jq -r .next_cursor <<<"$CTL_OUT")
ctl_rc job list --kind video.generate --limit 1 --cursor "$next" --json
expect_eq "$(jq -r '.items[0].id' <<<"$CTL_OUT")" "$(cut -d' ' -f2 <<<"$want")" "veogenctl job list --cursor gives the next page"
