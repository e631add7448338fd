#!/usr/bin/env bash
# The cron programs against the stack.  veogen-cleanup: a dry run (-n) reports and changes
# nothing; a real run deletes what is past retention (rows and files) and keeps what is
# recent, removes an old orphan file and an old temp file (not young ones), reports a row
# whose file vanished; silent without -v; one run at a time (75); 64 for a bad option, 78
# for a config it cannot read.  veogen-rollup: hour and day rows whose sums match the
# videos table, the same again on a second run; GET /api/v1/admin/usage pages and filters
# them, 400 for bad parameters, 403 for a non-admin.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"
. "$here/lib_admin.sh"

RUNTIME_DIR=$(conf_value "$VEOGEN_CONF" runtime dir)
# devstack writes the group on one line: runtime: { dir = "..."; };
[ -n "$RUNTIME_DIR" ] || RUNTIME_DIR=$(sed -n 's/^[[:space:]]*runtime[^{]*{[^}]*dir[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$VEOGEN_CONF")
[ -n "$RUNTIME_DIR" ] || RUNTIME_DIR=/run/veogen

# run PROG ARGS...: the stack's PROG with its config; sets RC, OUT (file), ERR (file).
OUT=$IT_WORK/out ERR=$IT_WORK/err RC=0
run() {
	local prog=$1
	shift
	"$VEOGEN_BIN_DIR/$prog" -c "$VEOGEN_CONF" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}
expect_rc() { expect_eq "$RC" "$1" "$2 (stderr: $(head -c 300 "$ERR"))"; }
out_has() { grep -q -- "$1" "$OUT"; }
uuid() { cat /proc/sys/kernel/random/uuid; }
# counts: row counts of every table cleanup touches, one line.
counts() {
	psql_veogen "SELECT (SELECT count(*) FROM videos) || ' ' || (SELECT count(*) FROM movies) \
		|| ' ' || (SELECT count(*) FROM files) || ' ' || (SELECT count(*) FROM jobs) || ' ' || \
		(SELECT count(*) FROM refresh_tokens) || ' ' || (SELECT count(*) FROM idempotency_keys) \
		|| ' ' || (SELECT count(*) FROM audit_log)"
}
exists() { sqlv "SELECT count(*) FROM $1 WHERE id = :'id'" id="$2"; }
# storage_state: every path under storage with its size and mtime, as one checksum.
storage_state() { find "$STORAGE_DIR" -printf '%p %s %T@\n' | sort | md5sum | cut -d' ' -f1; }

echo "command line and configuration errors"
run veogen-cleanup -x
expect_rc 64 "an unknown option is EX_USAGE"
check "stderr says which option" grep -q -- "-x" "$ERR"
run veogen-rollup --since yesterday
expect_rc 64 "a --since that is not a time is EX_USAGE"
"$VEOGEN_BIN_DIR/veogen-cleanup" -c "$IT_WORK/none.conf" >"$OUT" 2>"$ERR"
RC=$?
expect_rc 78 "a config that does not exist is EX_CONFIG"
check "stderr names the file" grep -q "$IT_WORK/none.conf" "$ERR"
printf 'database: { conninfo = ' >"$IT_WORK/broken.conf"
VEOGEN_CONF=$IT_WORK/broken.conf "$VEOGEN_BIN_DIR/veogen-rollup" >"$OUT" 2>"$ERR"
RC=$?
expect_rc 78 "a config that does not parse (\$VEOGEN_CONF) is EX_CONFIG"
mkdir "$IT_WORK/dir.conf"
"$VEOGEN_BIN_DIR/veogen-cleanup" -c "$IT_WORK/dir.conf" >"$OUT" 2>"$ERR"
RC=$?
expect_rc 78 "a config that cannot be read (a directory) is EX_CONFIG"
"$VEOGEN_BIN_DIR/veogen-cleanup" -h >"$OUT" 2>"$ERR"
RC=$?
expect_rc 0 "-h"
check "-h prints the usage on stdout" grep -q '^Usage: veogen-cleanup' "$OUT"

echo "work of two users: local and gemini videos, an upload, an idempotency key"
new_user A || exit 1
new_user B || exit 1
new_user C || exit 1
TOKEN=$A_TOKEN
create_video '{"prompt": "t_cron: old", "duration_seconds": 4}' || exit 1
OLD=$VIDEO_ID
api POST /api/v1/videos '{"prompt": "t_cron: kept", "duration_seconds": 6}' -H "Idempotency-Key: t-cron-$RANDOM"
expect_status 202 "a video with an Idempotency-Key"
KEPT=$(json .id)
create_video '{"prompt": "t_cron: failed long ago", "duration_seconds": 4}' || exit 1
OLD_FAILED=$VIDEO_ID
TOKEN=$B_TOKEN
create_video '{"prompt": "t_cron: vanishing", "duration_seconds": 4}' || exit 1
VANISH=$VIDEO_ID
# The row whose file this test removes is its own doing: deleted at the end, so the tests
# after this one (the chaos run checks that cleanup finds nothing wrong) see a sound store.
on_exit "TOKEN=$B_TOKEN api DELETE /api/v1/videos/$VANISH"
create_video '{"prompt": "t_cron: remote", "provider": "gemini", "duration_seconds": 8}' || exit 1
REMOTE=$VIDEO_ID
for v in "$OLD" "$KEPT" "$OLD_FAILED"; do TOKEN=$A_TOKEN wait_video_done "$v" 180; done
TOKEN=$B_TOKEN wait_video_done "$VANISH" 180
TOKEN=$B_TOKEN wait_video_done "$REMOTE" 180
expect_eq "$VIDEO_STATUS" succeeded "the gemini video (fake) succeeds"
ffmpeg -hide_banner -nostdin -v error -y -f lavfi -i color=c=blue:s=64x48 -frames:v 1 "$IT_WORK/u.png" </dev/null
TOKEN=$A_TOKEN api POST /api/v1/files "@$IT_WORK/u.png" -H 'Content-Type: image/png'
expect_status 201 "an upload"
UPLOAD=$(json .id)
TOKEN=$A_TOKEN api POST /api/v1/files "@$IT_WORK/u.png" -H 'Content-Type: image/png'
UPLOAD_NEW=$(json .id)

TOKEN=$A_TOKEN api POST /api/v1/movies '{"title": "t_cron: cancelled long ago", "scenes": [{"prompt": "a scene"}]}'
expect_status 201 "a movie (draft)"
OLD_MOVIE=$(json .id)
mkdir -p "$STORAGE_DIR/movies/${OLD_MOVIE:0:2}/$OLD_MOVIE/assembly-1"
echo film >"$STORAGE_DIR/movies/${OLD_MOVIE:0:2}/$OLD_MOVIE/assembly-1/film.mp4"

echo "backdate: old succeeded and failed videos, an old upload, jobs, tokens, keys, audit rows"
sqlv "UPDATE videos SET created_at = now() - interval '100 days', finished_at = now() - interval '100 days' WHERE id = :'id'" id="$OLD"
sqlv "UPDATE videos SET status = 'failed', error = '{\"code\": \"internal\", \"message\": \"t_cron\", \"retryable\": false}', finished_at = now() - interval '20 days' WHERE id = :'id'" id="$OLD_FAILED"
sqlv "UPDATE files SET created_at = now() - interval '100 days' WHERE id = :'id'" id="$UPLOAD"
sqlv "UPDATE movies SET status = 'cancelled', finished_at = now() - interval '15 days' WHERE id = :'id'" id="$OLD_MOVIE"
OLD_JOB=$(sqlv "SELECT job_id FROM videos WHERE id = :'id'" id="$KEPT")
sqlv "UPDATE jobs SET finished_at = now() - interval '10 days' WHERE id = :'id'" id="$OLD_JOB"
sqlv "UPDATE refresh_tokens SET expires_at = now() - interval '1 hour' WHERE user_id = :'id'" id="$C_ID"
sqlv "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE video_id = :'id'" id="$KEPT"
RUN=$(uuid)
sqlv "INSERT INTO audit_log (at, action, details) VALUES (now() - interval '400 days', 't_cron.old', jsonb_build_object('run', :'run')), (now(), 't_cron.new', jsonb_build_object('run', :'run'))" run="$RUN"
OLD_FILES=$(stored_files "$OLD")
[ -n "$OLD_FILES" ] || fail "the old video has stored files"
VANISH_PATH=$(sqlv "SELECT content_path FROM videos WHERE id = :'id'" id="$VANISH")
rm -f "$STORAGE_DIR/$VANISH_PATH"
ORPHAN=$(uuid)
ORPHAN_YOUNG=$(uuid)
mkdir -p "$STORAGE_DIR/videos/${ORPHAN:0:2}" "$STORAGE_DIR/files/${ORPHAN_YOUNG:0:2}"
echo orphan >"$STORAGE_DIR/videos/${ORPHAN:0:2}/$ORPHAN.mp4"
touch -d '3 days ago' "$STORAGE_DIR/videos/${ORPHAN:0:2}/$ORPHAN.mp4"
echo young >"$STORAGE_DIR/files/${ORPHAN_YOUNG:0:2}/$ORPHAN_YOUNG.png"
TEMP=$STORAGE_DIR/videos/${ORPHAN:0:2}/$(uuid).mp4.tmp.123.0badcafe
TEMP_YOUNG=$STORAGE_DIR/videos/${ORPHAN:0:2}/$(uuid).mp4.tmp.124.0badcafe
echo partial >"$TEMP"
touch -d '2 days ago' "$TEMP"
echo partial >"$TEMP_YOUNG"

echo "veogen-cleanup -n -v: reports, changes nothing"
before_counts=$(counts)
before_files=$(storage_state)
run veogen-cleanup -n -v
expect_rc 0 "a dry run succeeds"
expect_eq "$(counts)" "$before_counts" "the dry run leaves every table's row count as it was"
expect_eq "$(storage_state)" "$before_files" "the dry run leaves storage as it was"
check "it reports the old video" out_has "would delete video $OLD"
check "it reports the old failed video" out_has "would delete video $OLD_FAILED"
check "it reports the old upload" out_has "would delete upload $UPLOAD"
check "it reports the old movie" out_has "would delete movie $OLD_MOVIE"
check "it reports the old orphan" out_has "would remove orphan videos/${ORPHAN:0:2}/$ORPHAN.mp4"
check "it reports the old temp file" out_has "would remove temporary videos/${ORPHAN:0:2}/$(basename "$TEMP")"
check "it reports the vanished file" out_has "video $VANISH: its file $VANISH_PATH is missing"
check "it counts the old job, the expired tokens, the old key and the old audit row" \
	eval 'out_has "would delete [0-9]* finished jobs" && out_has "would delete [0-9]* expired refresh tokens" && out_has "would delete 1 idempotency keys" && out_has "would delete 1 audit rows"'
expect_eq "$(wc -c <"$ERR")" 0 "nothing on stderr"

echo "veogen-cleanup -v: deletes what is old, keeps what is recent"
run veogen-cleanup -v
expect_rc 0 "the run succeeds"
expect_eq "$(wc -c <"$ERR")" 0 "nothing on stderr"
check "it says what it deleted" out_has "deleted video $OLD"
expect_eq "$(exists videos "$OLD")$(exists videos "$OLD_FAILED")" 00 "the old videos' rows are gone"
expect_eq "$(stored_files "$OLD")$(stored_files "$OLD_FAILED")" "" "and their files"
TOKEN=$A_TOKEN api GET "/api/v1/videos/$OLD"
expect_status 404 "the API no longer knows the old video"
expect_eq "$(exists videos "$KEPT")$(exists videos "$VANISH")$(exists videos "$REMOTE")" 111 "recent videos are kept"
TOKEN=$A_TOKEN api GET "/api/v1/videos/$KEPT/content"
expect_status 200 "a kept video's content is still served"
expect_eq "$(exists movies "$OLD_MOVIE")$(sqlv "SELECT count(*) FROM scenes WHERE movie_id = :'id'" id="$OLD_MOVIE")" 00 "the old movie and its scenes are gone"
check "and its directory" test ! -e "$STORAGE_DIR/movies/${OLD_MOVIE:0:2}/$OLD_MOVIE"
expect_eq "$(exists files "$UPLOAD")$(exists files "$UPLOAD_NEW")" 01 "the old upload is gone, the recent one kept"
expect_eq "$(stored_files "$UPLOAD")" "" "the old upload's file is gone"
expect_eq "$(exists jobs "$OLD_JOB")" 0 "the job finished 10 days ago is gone"
expect_eq "$(sqlv "SELECT count(*) FROM refresh_tokens WHERE user_id = :'id'" id="$C_ID")" 0 "expired refresh tokens are gone"
expect_eq "$(sqlv "SELECT count(*) FROM refresh_tokens WHERE user_id = :'id'" id="$A_ID")" 1 "a live refresh token is kept"
expect_eq "$(sqlv "SELECT count(*) FROM idempotency_keys WHERE video_id = :'id'" id="$KEPT")" 0 "the idempotency key older than 24 h is gone"
expect_eq "$(sqlv "SELECT string_agg(action, ',' ORDER BY action) FROM audit_log WHERE details->>'run' = :'run'" run="$RUN")" t_cron.new "the audit row older than 365 days is gone, the new one kept"
check "the old orphan is removed" test ! -e "$STORAGE_DIR/videos/${ORPHAN:0:2}/$ORPHAN.mp4"
check "the young orphan is kept" test -e "$STORAGE_DIR/files/${ORPHAN_YOUNG:0:2}/$ORPHAN_YOUNG.png"
check "the old temp file is removed" test ! -e "$TEMP"
check "the young temp file is kept" test -e "$TEMP_YOUNG"
check "the vanished file is reported again" out_has "video $VANISH: its file $VANISH_PATH is missing"
expect_eq "$(exists videos "$VANISH")" 1 "the row whose file vanished is left alone"

echo "silent on success without -v"
run veogen-cleanup
expect_rc 0 "a quiet run succeeds"
expect_eq "$(wc -c <"$OUT") $(wc -c <"$ERR")" "0 0" "no output at all"

echo "one run at a time"
LOCK=$RUNTIME_DIR/veogen-cleanup.lock
: >"$LOCK" # the last run's pid is still in it
# shellcheck disable=SC2016 # $$ and $1 are the holder's own
flock -x "$LOCK" sh -c 'echo $$ >"$1"; exec sleep 30' sh "$LOCK" &
HOLDER=$!
on_exit "kill $HOLDER 2>/dev/null || true"
wait_until 10 eval "[ -s '$LOCK' ]" || fail "the lock holder wrote its pid"
holder_pid=$(cat "$LOCK")
run veogen-cleanup
expect_rc 75 "a second run while the lock is held is EX_TEMPFAIL"
expect_eq "$(cat "$ERR")" "veogen-cleanup: another veogen-cleanup runs (pid $holder_pid)" "one line naming the holder"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
# two real runs: the first waits inside its transaction on a lock this session holds
HOLD_SQL="SELECT pg_advisory_lock(hashtext('veogen-rollup')); SELECT pg_sleep(4)"
psql -X -q "$VEOGEN_DB_CONNINFO" -c "$HOLD_SQL" >/dev/null 2>&1 &
PSQL=$!
wait_until 10 eval "[ \"\$(psql_veogen \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted\")\" -ge 1 ]"
"$VEOGEN_BIN_DIR/veogen-rollup" -c "$VEOGEN_CONF" >"$IT_WORK/first.out" 2>&1 &
FIRST=$!
wait_until 10 eval "[ \"\$(cat '$RUNTIME_DIR/veogen-rollup.lock' 2>/dev/null)\" = $FIRST ]" || fail "the first rollup holds the lock"
run veogen-rollup
expect_rc 75 "a rollup while another runs is EX_TEMPFAIL"
check "it names the first run's pid" grep -q "another veogen-rollup runs (pid $FIRST)" "$ERR"
wait "$FIRST"
expect_eq "$?" 0 "the first rollup finishes once the lock is free"
wait "$PSQL"

echo "veogen-rollup: sums match the videos table"
# the whole truth for A and B: every (period, start, user, provider, model) and its figures
VIDEOS_SQL="SELECT string_agg(r, ';' ORDER BY r) FROM (SELECT concat_ws(' ', period, \
	extract(epoch FROM start), user_id, provider, model, count(*), count(*) FILTER (WHERE status = 'succeeded'), \
	count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'cancelled'), \
	coalesce(sum(duration_seconds) FILTER (WHERE status = 'succeeded'), 0), sum(spent_cost_usd)::numeric(14, 4)) AS r \
	FROM (SELECT p.period, date_trunc(p.period, v.created_at, 'UTC') AS start, v.user_id, v.provider, v.model, \
	v.status, v.duration_seconds, v.spent_cost_usd FROM videos v CROSS JOIN (VALUES ('hour'), ('day')) p(period) \
	WHERE v.user_id IN (:'a', :'b')) y GROUP BY period, start, user_id, provider, model) x"
ROLLUP_SQL="SELECT string_agg(r, ';' ORDER BY r) FROM (SELECT concat_ws(' ', period, \
	extract(epoch FROM period_start), user_id, provider, model, videos, succeeded, failed, cancelled, \
	video_seconds, cost_usd) AS r FROM usage_rollups WHERE user_id IN (:'a', :'b')) x"
run veogen-rollup -v --since 2000-01-01
expect_rc 0 "rollup --since 2000-01-01"
check "it says what it recomputed" out_has "recomputed usage from 2000-01-01T00:00:00Z"
want=$(sqlv "$VIDEOS_SQL" a="$A_ID" b="$B_ID")
got=$(sqlv "$ROLLUP_SQL" a="$A_ID" b="$B_ID")
expect_eq "$got" "$want" "hour and day rows equal the videos table's sums"
expect_eq "$(sqlv "SELECT count(DISTINCT provider) FROM usage_rollups WHERE user_id = :'b'" b="$B_ID")" 2 "B's rows cover two providers"
expect_eq "$(sqlv "SELECT sum(videos) || ' ' || sum(video_seconds) FROM usage_rollups WHERE period = 'day' AND user_id = :'a'" a="$A_ID")" "1 6" "A's day rows: the kept video (6 s) is all that is left"
check "B's gemini video has a cost" test "$(sqlv "SELECT sum(cost_usd) > 0 FROM usage_rollups WHERE period = 'day' AND provider = 'gemini' AND user_id = :'b'" b="$B_ID")" = t
run veogen-rollup
expect_rc 0 "a second rollup"
expect_eq "$(wc -c <"$OUT") $(wc -c <"$ERR")" "0 0" "silent without -v"
expect_eq "$(sqlv "$ROLLUP_SQL" a="$A_ID" b="$B_ID")" "$want" "the second run gives the same rows"
before_counts=$(psql_veogen "SELECT count(*) || ' ' || max(updated_at) FROM usage_rollups")
run veogen-rollup -n
expect_rc 0 "rollup -n"
check "the dry run reports" out_has "would recompute usage from"
expect_eq "$(psql_veogen "SELECT count(*) || ' ' || max(updated_at) FROM usage_rollups")" "$before_counts" "the dry run changes nothing"

echo "GET /api/v1/admin/usage"
new_admin || exit 1
TOKEN=$A_TOKEN api GET /api/v1/admin/usage
expect_problem 403 "a user is refused"
# shellcheck disable=SC2034 # api sends it
TOKEN=$ADMIN_TOKEN
api GET "/api/v1/admin/usage?user_id=$B_ID"
expect_status 200 "an admin reads usage"
expect_json .period day
expect_json '.items | length' 2
expect_json '[.items[].videos] | add' 2
expect_json '[.items[].email] | unique | join(",")' "$B_EMAIL"
check "rolled_up_at is a time" test "$(json .rolled_up_at | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$')" = 1
api GET "/api/v1/admin/usage?user_id=$B_ID&provider=gemini"
expect_json '[.items[].provider] | unique | join(",")' gemini
expect_json '.items[0].video_seconds' 8
expect_json '.items[0].cost_usd' "$(sqlv "SELECT spent_cost_usd::float8 FROM videos WHERE id = :'id'" id="$REMOTE")"
MODEL=$(sqlv "SELECT model FROM videos WHERE id = :'id'" id="$REMOTE")
api GET "/api/v1/admin/usage?user_id=$B_ID&model=$MODEL"
expect_json '[.items[].model] | unique | join(",")' "$MODEL"
# paging: hour rows of A and B, one per page, must list every row exactly once
total=$(sqlv "SELECT count(*) FROM usage_rollups WHERE period = 'hour' AND user_id IN (:'a', :'b')" a="$A_ID" b="$B_ID")
seen="" cursor="" pages=0
for uid in "$A_ID" "$B_ID"; do
	cursor=""
	while :; do
		api GET "/api/v1/admin/usage?period=hour&limit=1&user_id=$uid${cursor:+&cursor=$cursor}"
		[ "$API_STATUS" = 200 ] || {
			fail "page $pages: HTTP $API_STATUS"
			break
		}
		seen+="$(json '.items[] | "\(.period_start) \(.user_id) \(.provider) \(.model)"')"$'\n'
		pages=$((pages + 1))
		cursor=$(json '.next_cursor // empty')
		if [ -z "$cursor" ] || [ $pages -ge 20 ]; then break; fi
	done
done
expect_eq "$(printf '%s' "$seen" | grep -c .)" "$total" "pages of one item list every hour row"
expect_eq "$(printf '%s' "$seen" | sort -u | grep -c .)" "$total" "no row twice"
today=$(date -u +%Y-%m-%d)
api GET "/api/v1/admin/usage?user_id=$B_ID&since=${today}T00:00:00Z&until=2999-01-01"
expect_json '.items | length' 2
api GET "/api/v1/admin/usage?user_id=$B_ID&until=$today"
expect_json '.items | length' 0
for bad in "period=week" "limit=0" "limit=101" "cursor=zz" "cursor=7b7d" "since=yesterday" \
	"until=2026-13-01" "user_id=nobody" "period=day&period=hour"; do
	api GET "/api/v1/admin/usage?$bad"
	expect_problem 400 "?$bad"
done
