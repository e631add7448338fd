#!/usr/bin/env bash
# Cancel and delete: a cancelled video stays cancelled, its job is cancelled, it has no
# content and leaves no file; a second cancel is a 409; a deleted video is gone with its
# files, and deleting a running one stops its job.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
new_user A || exit 1
TOKEN=$A_TOKEN
job_of() { sqlv "SELECT job_id FROM videos WHERE id = :'id'" id="$1"; }
job_field() { sqlv "SELECT $2 FROM jobs WHERE id = :'id'" id="$1"; }
# no_trace ID...: no stored file and no process (ffmpeg, temp paths) names any of the ids.
no_trace() {
	local id pid
	for id in "$@"; do
		[ -z "$(stored_files "$id")" ] || return 1
		for pid in $(descendants_of "$(pid_of runner)"); do
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$id" && return 1
		done
	done
	return 0
}
wait_running() {
	wait_until "${2:-60}" eval "TOKEN=\$A_TOKEN api GET /api/v1/videos/$1 && [ \"\$(json .status)\" = running ] && [ \"\$(json .progress)\" -gt 0 ]"
}

echo "cancel while queued (runner stopped, so it stays queued)"
on_exit stack up runner
stack down runner
create_video '{"prompt": "t_cancel: queued", "duration_seconds": 4}' || exit 1
QUEUED=$VIDEO_ID
QUEUED_JOB=$(job_of "$QUEUED")
expect_json .status queued
api POST "/api/v1/videos/$QUEUED/cancel"
expect_status 202 "cancel a queued video"
expect_json .status cancelled
api GET "/api/v1/videos/$QUEUED"
expect_json .status cancelled
expect_json .error.code cancelled
expect_eq "$(job_field "$QUEUED_JOB" state)" cancelled "its job is cancelled in the database"
api GET "/api/v1/videos/$QUEUED/content"
expect_problem 409 "no content for a cancelled video"
api POST "/api/v1/videos/$QUEUED/cancel"
expect_problem 409 "cancel again"
stack up runner
# A video made after the restart finishes, so the runner has looked at the queue since.
create_video '{"prompt": "t_cancel: after the restart", "duration_seconds": 4}' || exit 1
AFTER=$VIDEO_ID
wait_video_done "$AFTER" 180
expect_eq "$VIDEO_STATUS" succeeded "a video queued after the restart succeeds"
api GET "/api/v1/videos/$QUEUED"
expect_json .status cancelled
expect_eq "$(job_field "$QUEUED_JOB" "state || ' ' || attempt")" "cancelled 0" "the cancelled job was never claimed"
expect_eq "$(stored_files "$QUEUED")" "" "no file for the cancelled video"

echo "cancel while running"
create_video '{"prompt": "t_cancel: running", "duration_seconds": 8, "resolution": "1080p"}' || exit 1
RUNNING=$VIDEO_ID
RUNNING_JOB=$(job_of "$RUNNING")
if wait_running "$RUNNING" 120; then
	ok "video is running with progress $(json .progress)"
else
	fail "video $RUNNING never ran with progress > 0 (status $(json .status))"
fi
api POST "/api/v1/videos/$RUNNING/cancel"
expect_status 202 "cancel a running video"
expect_json .status cancelled
check "the runner stops the render and leaves no file" wait_until 60 no_trace "$RUNNING" "$RUNNING_JOB"
sleep 1 # a runner that did not stop would write its result now
api GET "/api/v1/videos/$RUNNING"
expect_json .status cancelled
expect_json .error.code cancelled
expect_json .result null
expect_eq "$(job_field "$RUNNING_JOB" state)" cancelled "its job is cancelled in the database"
expect_eq "$(stored_files "$RUNNING")" "" "no file for it in storage"
api GET "/api/v1/videos/$RUNNING/content"
expect_problem 409 "no content"
api POST "/api/v1/videos/$RUNNING/cancel"
expect_problem 409 "cancel again"

echo "delete a finished video"
create_video '{"prompt": "t_cancel: to delete", "duration_seconds": 4}' || exit 1
DONE=$VIDEO_ID
wait_video_done "$DONE" 180
expect_eq "$VIDEO_STATUS" succeeded "the video to delete succeeded"
paths=$(sqlv "SELECT content_path || ' ' || thumbnail_path FROM videos WHERE id = :'id'" id="$DONE")
read -r content_path thumb_path <<<"$paths"
check "its mp4 is in storage ($content_path)" test -s "$STORAGE_DIR/$content_path"
check "its thumbnail is in storage ($thumb_path)" test -s "$STORAGE_DIR/$thumb_path"
api DELETE "/api/v1/videos/$DONE"
expect_status 204 "delete"
check "its mp4 is gone" test ! -e "$STORAGE_DIR/$content_path"
check "its thumbnail is gone" test ! -e "$STORAGE_DIR/$thumb_path"
expect_eq "$(stored_files "$DONE")" "" "nothing of it left in storage"
expect_eq "$(sqlv "SELECT count(*) FROM videos WHERE id = :'id'" id="$DONE")" 0 "its row is gone"
api GET "/api/v1/videos/$DONE"
expect_problem 404 "GET after delete"
api GET "/api/v1/videos/$DONE/content"
expect_problem 404 "content after delete"
api DELETE "/api/v1/videos/$DONE"
expect_problem 404 "delete again"

echo "delete a running video"
create_video '{"prompt": "t_cancel: delete while running", "duration_seconds": 8, "resolution": "1080p"}' || exit 1
DOOMED=$VIDEO_ID
DOOMED_JOB=$(job_of "$DOOMED")
wait_running "$DOOMED" 120 || fail "video $DOOMED never ran with progress > 0"
api DELETE "/api/v1/videos/$DOOMED"
expect_status 204 "delete a running video"
api GET "/api/v1/videos/$DOOMED"
expect_problem 404 "GET after delete"
expect_eq "$(job_field "$DOOMED_JOB" state)" cancelled "its job was cancelled"
check "the runner stops and leaves no file" wait_until 60 no_trace "$DOOMED" "$DOOMED_JOB"

expect_no_5xx
