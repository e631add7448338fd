#!/usr/bin/env bash
# kill -9 of the runner (master, workers and their ffmpeg) in the middle of a render: after
# a restart the video succeeds with exactly one mp4 in storage, no temp files, and a valid
# file.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
touch "$IT_WORK/start"
new_user A || exit 1
TOKEN=$A_TOKEN
on_exit stack up runner

create_video '{"prompt": "t_runner_crash: a long 1080p render", "duration_seconds": 8, "resolution": "1080p"}' || exit 1
ID=$VIDEO_ID
JOB=$(sqlv "SELECT job_id FROM videos WHERE id = :'id'" id="$ID")
running() { api GET "/api/v1/videos/$ID" && [ "$(json .status)" = running ] && [ "$(json .progress)" -gt 0 ]; }
if wait_until 120 running; then
	ok "video running with progress $(json .progress)%"
else
	fail "video $ID never ran with progress > 0 (status $(json .status))"
	exit 1
fi

master=$(pid_of runner)
# devstack starts the runner with setsid: its session holds the master, the workers and
# their ffmpeg children.  Each pid is killed too, in case a child left the group.
victims=$(
	printf '%s\n' "$master"
	descendants_of "$master"
)
check "the runner has workers ($(wc -l <<<"$victims") processes)" test "$(wc -l <<<"$victims")" -ge 2
kill -KILL -- "-$master" 2>/dev/null
for pid in $victims; do kill -KILL "$pid" 2>/dev/null; done
all_dead() {
	local p
	for p in $victims; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}
check "kill -9 ended every runner process" wait_until 10 all_dead
api GET "/api/v1/videos/$ID"
check "the video was not finished when the runner died (status $(json .status))" \
	test "$(json .status)" = running

stack up runner
check "the runner is back with a new pid" eval '[ -n "$(pid_of runner)" ] && [ "$(pid_of runner)" != "$master" ]'
wait_video_done "$ID" 300
expect_eq "$VIDEO_STATUS" succeeded "the video succeeds after the restart"
expect_eq "$(sqlv "SELECT state FROM jobs WHERE id = :'id'" id="$JOB")" succeeded "its job succeeded"
claims=$(sqlv "SELECT attempt FROM jobs WHERE id = :'id'" id="$JOB")
check "the job was claimed again after the crash (attempt $claims)" test "${claims:-0}" -ge 2

files=$(stored_files "$ID")
expect_eq "$(grep -c '\.mp4$' <<<"$files")" 1 "exactly one mp4 for the video"
expect_eq "$(grep -c '\.tmp' <<<"$files")" 0 "no temp files for the video"
expect_eq "$(find "$STORAGE_DIR" -name '*.tmp*' -newer "$IT_WORK/start" | wc -l)" 0 "no temp files in storage at all"
printf '        files: %s\n' "$(tr '\n' ' ' <<<"$files")"

curl -s -o "$IT_WORK/out.mp4" -H "Authorization: Bearer $A_TOKEN" "$BASE/api/v1/videos/$ID/content"
check "downloaded the mp4 ($(stat -c %s "$IT_WORK/out.mp4" 2>/dev/null) bytes)" test -s "$IT_WORK/out.mp4"
api GET "/api/v1/videos/$ID"
expect_eq "$(sha256sum <"$IT_WORK/out.mp4" | cut -d' ' -f1)" "$(json .result.sha256)" "sha256 of the download matches result.sha256"
expect_eq "$(stat -c %s "$IT_WORK/out.mp4")" "$(json .result.size_bytes)" "size matches result.size_bytes"
probe_video "$IT_WORK/out.mp4" 8 1920 1080

expect_no_5xx
