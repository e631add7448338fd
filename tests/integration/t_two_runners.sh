#!/usr/bin/env bash
# Two veogen-runner daemons (different runner.name) on one queue never run a job twice.
#
# A real clip costs seconds of CPU, so 300 rendered videos would take a quarter of an hour
# (measured below).  The test therefore has two parts:
#   1. $VEOGEN_IT_QUEUE_JOBS (300) video.generate jobs inserted in one transaction whose
#      videos do not exist: each is claimed, fails for good at its first step, and must
#      have been claimed exactly once (attempt 1), by one of the two runners, both busy;
#   2. $VEOGEN_IT_RUNNER_VIDEOS (12) real videos through the API: each succeeds, its job
#      claimed once, one mp4 each, and both runners rendered some.
# Measured with 2 runners x 2 workers on a busy 2-core machine: 60 clips in 174 s, about 3 s
# each, so VEOGEN_IT_RUNNER_VIDEOS=300 takes about 15 minutes (raise VEOGEN_IT_TIMEOUT too).
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

access_log_mark
QUEUE_JOBS=${VEOGEN_IT_QUEUE_JOBS:-300}
VIDEOS=${VEOGEN_IT_RUNNER_VIDEOS:-12}
TAG="t_two_runners-$(date +%s)-$$"

NAME1=$(conf_value "$VEOGEN_CONF" runner name)
[ -n "$NAME1" ] || NAME1=$(hostname)
NAME2=$NAME1-second
cp "$VEOGEN_CONF" "$IT_WORK/runner2.conf"
conf_set "$IT_WORK/runner2.conf" runner name "\"$NAME2\""
check "the second runner's config is valid" \
	"$VEOGEN_BIN_DIR/veogen-runner" -t -c "$IT_WORK/runner2.conf"

(exec setsid "$VEOGEN_BIN_DIR/veogen-runner" -c "$IT_WORK/runner2.conf" -F \
	>>"$IT_WORK/runner2.log" 2>&1 </dev/null) &
RUNNER2=$!
stop_runner2() {
	kill -TERM "$RUNNER2" 2>/dev/null || return 0
	wait_until 20 eval "! kill -0 $RUNNER2 2>/dev/null"
	kill -KILL -- "-$RUNNER2" 2>/dev/null
	wait "$RUNNER2" 2>/dev/null
	return 0
}
on_exit stop_runner2
on_exit "sqlv \"DELETE FROM jobs WHERE payload->>'test' = :'tag'\" tag=$TAG >/dev/null"
workers_of() { children_of "$1" | wc -l; }
check "the second runner started its workers" wait_until 15 eval "[ \$(workers_of $RUNNER2) -ge 1 ]"
check "the first runner runs too" test -n "$(pid_of runner)"

echo "part 1: $QUEUE_JOBS jobs at once"
sqlv "BEGIN;
INSERT INTO jobs (kind, payload, max_attempts)
	SELECT 'video.generate', jsonb_build_object('video_id', gen_random_uuid(), 'test', :'tag'), 3
	FROM generate_series(1, :n);
SELECT pg_notify('veogen_jobs', '');
COMMIT;" tag="$TAG" n="$QUEUE_JOBS" >/dev/null
open_jobs() { sqlv "SELECT count(*) FROM jobs WHERE payload->>'test' = :'tag' AND state IN ('queued', 'running')" tag="$TAG"; }
check "every job ran to an end within 300 s" wait_until 300 eval '[ "$(open_jobs)" = 0 ]'
summary=$(sqlv "SELECT count(*), count(*) FILTER (WHERE attempt = 1), count(*) FILTER (WHERE state = 'failed'),
	count(*) FILTER (WHERE last_error->>'retryable' = 'false')
	FROM jobs WHERE payload->>'test' = :'tag'" tag="$TAG")
IFS='|' read -r total once failed permanent <<<"$summary"
expect_eq "$total" "$QUEUE_JOBS" "jobs inserted"
expect_eq "$once" "$QUEUE_JOBS" "jobs claimed exactly once (attempt = 1)"
expect_eq "$failed" "$QUEUE_JOBS" "jobs failed for good (their videos do not exist)"
expect_eq "$permanent" "$QUEUE_JOBS" "jobs failed without a retry"
by_runner=$(sqlv "SELECT split_part(locked_by, '/', 1) AS runner, count(*) FROM jobs
	WHERE payload->>'test' = :'tag' GROUP BY 1 ORDER BY 1" tag="$TAG")
printf '        claims by runner: %s\n' "$(tr '\n' ' ' <<<"$by_runner")"
check "runner $NAME1 claimed some" grep -q "^$NAME1|[1-9]" <<<"$by_runner"
check "runner $NAME2 claimed some" grep -q "^$NAME2|[1-9]" <<<"$by_runner"
expect_eq "$(grep -vc -e "^$NAME1|" -e "^$NAME2|" <<<"$by_runner")" 0 "no job without a runner"

echo "part 2: $VIDEOS videos through the API"
# creates_per_min (60) is per user: 50 videos per user stay under it.
ids=()
for i in $(seq 1 "$VIDEOS"); do
	if (((i - 1) % 50 == 0)); then
		new_user U || exit 1
		TOKEN=$U_TOKEN
	fi
	create_video "$(jq -cn --arg i "$i" '{prompt: ("t_two_runners clip " + $i), duration_seconds: 4}')" &&
		ids+=("$VIDEO_ID")
done
t_queued=$SECONDS
expect_eq "${#ids[@]}" "$VIDEOS" "videos queued"
ids_sql="{$(IFS=,; printf '%s' "${ids[*]}")}"
open_videos() { sqlv "SELECT count(*) FROM videos WHERE id = ANY(:'ids'::uuid[]) AND status IN ('queued', 'running')" ids="$ids_sql"; }
limit=$((VIDEOS * 10 > 120 ? VIDEOS * 10 : 120))
check "every video finished within $limit s" wait_until $limit eval '[ "$(open_videos)" = 0 ]'
printf '        %d videos rendered in %d s\n' "$VIDEOS" $((SECONDS - t_queued))
summary=$(sqlv "SELECT count(*) FILTER (WHERE v.status = 'succeeded'), count(*) FILTER (WHERE j.attempt = 1 AND j.retries = 0 AND j.state = 'succeeded'),
	count(DISTINCT split_part(j.locked_by, '/', 1))
	FROM videos v JOIN jobs j ON j.id = v.job_id WHERE v.id = ANY(:'ids'::uuid[])" ids="$ids_sql")
IFS='|' read -r succeeded once runners <<<"$summary"
expect_eq "$succeeded" "$VIDEOS" "videos succeeded"
expect_eq "$once" "$VIDEOS" "their jobs claimed once, never retried"
expect_eq "$runners" 2 "both runners rendered videos"
files_ok=0
for id in "${ids[@]}"; do
	[ "$(stored_files "$id" | grep -c '\.mp4$')" = 1 ] && ! stored_files "$id" | grep -q '\.tmp' &&
		files_ok=$((files_ok + 1))
done
expect_eq "$files_ok" "$VIDEOS" "videos with exactly one mp4 and no temp file"
check "the second runner logged no crash" eval '! grep -q "crashed" "$IT_WORK/runner2.log"'

expect_no_5xx
