# Sourced by tests/chaos/run.sh: waiting for the end, the checks and the figures.
# shellcheck shell=bash

# The accounts of this run, as a SQL WITH item.
RUN_USERS() { printf "u AS (SELECT id FROM users WHERE email LIKE '%s-u%%@example.com')" "$RUN"; }

# open_counts: "videos-succeeded failed cancelled open, movies-done open, jobs-open" of the
# run; fails while the database is down.
open_counts() {
	sql "WITH $(RUN_USERS)
	  SELECT (SELECT count(*) FILTER (WHERE status = 'succeeded') FROM videos WHERE user_id IN (SELECT id FROM u)),
	         (SELECT count(*) FILTER (WHERE status = 'failed') FROM videos WHERE user_id IN (SELECT id FROM u)),
	         (SELECT count(*) FILTER (WHERE status = 'cancelled') FROM videos WHERE user_id IN (SELECT id FROM u)),
	         (SELECT count(*) FILTER (WHERE status IN ('queued', 'running')) FROM videos WHERE user_id IN (SELECT id FROM u)),
	         (SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')) FROM movies WHERE user_id IN (SELECT id FROM u)),
	         (SELECT count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed', 'cancelled')) FROM movies WHERE user_id IN (SELECT id FROM u)),
	         (SELECT count(*) FROM jobs WHERE created_at >= '$START_DB' AND state IN ('blocked', 'queued', 'running'))"
}

# wait_for_the_end: until the submitter and the faults are done and nothing of the run is
# left open, or the deadline.  A progress line every 15 s.
wait_for_the_end() {
	local deadline=$((T0 + DEADLINE)) next_line=$((T0 + 15)) counts vs vf vc vo md mo jo busy
	local last="" changed_at
	changed_at=$(now_s)
	while :; do
		busy=0
		alive "$SUBMITTER" && busy=1
		alive "$CHAOS" && busy=1
		counts=$(open_counts) || counts=""
		if [ -n "$counts" ]; then
			IFS=$'\t' read -r vs vf vc vo md mo jo <<<"$counts"
			[ "$busy" = 0 ] && [ "$vo" = 0 ] && [ "$mo" = 0 ] && [ "$jo" = 0 ] && break
			if [ "$counts" != "$last" ] || [ "$busy" = 1 ]; then
				last=$counts
				changed_at=$(now_s)
			elif [ $(($(now_s) - changed_at)) -ge "$STALL_S" ]; then
				# a rescued job is back within a lease and a backoff: this is stuck
				violation "nothing moved for ${STALL_S}s after the faults ended ($vo videos, $mo movies, $jo jobs open)"
				break
			fi
		fi
		if [ "$(now_s)" -ge "$next_line" ]; then
			next_line=$((next_line + 15))
			if [ -n "$counts" ]; then
				say "$(elapsed $((T0 * 1000)))s: videos $vs succeeded, $vf failed, $vc cancelled, $vo open; movies $md done, $mo open; $jo jobs open; $(wc -l <"$WORK/submitted.tsv" 2>/dev/null || echo 0) of ${#ITEMS[@]} submitted; $(wc -l <"$WORK/events.tsv" 2>/dev/null || echo 0) fault events"
			else
				say "$(elapsed $((T0 * 1000)))s: (the database does not answer)"
			fi
		fi
		if [ "$(now_s)" -ge "$deadline" ]; then
			violation "not everything ended within the deadline of ${DEADLINE}s ($([ "$busy" = 1 ] && echo 'the submitter or the faults still ran; ')${vo:-?} videos, ${mo:-?} movies, ${jo:-?} jobs open)"
			break
		fi
		sleep 2
	done
	wait "$SUBMITTER" "$CHAOS" 2>/dev/null
	say "$(elapsed $((T0 * 1000)))s: the work has ended"
}

# check_rows: one row per submission, everything terminal, rows and jobs agree, and no
# failure comes from a crash loop.
check_rows() {
	local bad
	bad=$(sql "WITH $(RUN_USERS)
	  SELECT substring(prompt from '^$RUN-v[0-9]+'), count(*) FROM videos
	  WHERE user_id IN (SELECT id FROM u) AND movie_id IS NULL GROUP BY 1 HAVING count(*) <> 1")
	[ -z "$bad" ] || violation "submissions that made other than one video (tag, rows): $(tr '\t\n' ' ;' <<<"$bad")"
	ROWS_VIDEOS=$(sql "WITH $(RUN_USERS) SELECT count(*) FROM videos WHERE user_id IN (SELECT id FROM u) AND movie_id IS NULL")
	[ "$ROWS_VIDEOS" = "$VIDEOS" ] || violation "$VIDEOS videos submitted, $ROWS_VIDEOS video rows made"
	bad=$(sql "WITH $(RUN_USERS) SELECT title, count(*) FROM movies WHERE user_id IN (SELECT id FROM u)
	  GROUP BY 1 HAVING count(*) <> 1")
	[ -z "$bad" ] || violation "movies made more than once (title, rows): $(tr '\t\n' ' ;' <<<"$bad")"
	ROWS_MOVIES=$(sql "WITH $(RUN_USERS) SELECT count(*) FROM movies WHERE user_id IN (SELECT id FROM u)")
	[ "$ROWS_MOVIES" = "$MOVIES" ] || violation "$MOVIES movies submitted, $ROWS_MOVIES movie rows made"

	bad=$(sql "WITH $(RUN_USERS)
	  SELECT 'video ' || v.id || ' ' || v.status || '/' || v.stage || ', job ' || coalesce(j.state || ' at ' || j.step || coalesce(' (' || (j.last_error->>'code') || ')', ''), 'none')
	  FROM videos v LEFT JOIN jobs j ON j.id = v.job_id WHERE v.user_id IN (SELECT id FROM u) AND v.status IN ('queued', 'running')
	  UNION ALL SELECT 'movie ' || m.id || ' ' || m.status || coalesce(', job ' || j.kind || ' ' || j.state || ' at ' || j.step, '')
	  FROM movies m LEFT JOIN jobs j ON j.id = m.job_id WHERE m.user_id IN (SELECT id FROM u) AND m.status NOT IN ('succeeded', 'failed', 'cancelled')
	  UNION ALL SELECT 'job ' || id || ' ' || kind || ' ' || state || ' at ' || step || ', tries ' || retries || '/' || max_attempts
	  FROM jobs WHERE created_at >= '$START_DB' AND state IN ('blocked', 'queued', 'running') LIMIT 20")
	[ -z "$bad" ] || violation "not terminal: $(tr '\n' ';' <<<"$bad")"

	bad=$(sql "WITH $(RUN_USERS) SELECT v.id || ' (' || v.status || ', job ' || coalesce(j.state, 'none') || ')' FROM videos v
	  LEFT JOIN jobs j ON j.id = v.job_id WHERE v.user_id IN (SELECT id FROM u)
	  AND (v.status = 'succeeded') IS DISTINCT FROM (j.state = 'succeeded') AND v.status IN ('succeeded', 'failed') LIMIT 10")
	[ -z "$bad" ] || violation "videos and their jobs disagree: $(tr '\n' ' ' <<<"$bad")"
	bad=$(sql "WITH $(RUN_USERS) SELECT m.id || ' scene ' || s.position FROM movies m JOIN scenes s ON s.movie_id = m.id
	  LEFT JOIN videos v ON v.id = s.video_id WHERE m.user_id IN (SELECT id FROM u) AND m.status = 'succeeded'
	  AND v.status IS DISTINCT FROM 'succeeded'")
	[ -z "$bad" ] || violation "succeeded movies with a scene whose take did not succeed: $(tr '\n' ' ' <<<"$bad")"

	# a crash loop: tries used up by kills (lease_expired, worker_restarted)
	bad=$(sql "SELECT id || ' ' || kind || ': ' || (last_error->>'message') FROM jobs WHERE created_at >= '$START_DB'
	  AND state = 'failed' AND last_error->>'code' IN ('lease_expired', 'worker_restarted') LIMIT 10")
	[ -z "$bad" ] || violation "jobs that failed because their runner kept dying (crash loop): $(tr '\n' ';' <<<"$bad")"
	FAILED_BY=$(sql "WITH $(RUN_USERS)
	  SELECT CASE WHEN movie_id IS NULL THEN 'video' ELSE 'scene take' END, provider, error->>'code', left(error->>'message', 160), count(*)
	  FROM videos WHERE user_id IN (SELECT id FROM u) AND status = 'failed' GROUP BY 1, 2, 3, 4
	  UNION ALL SELECT 'movie', provider, error->>'code', left(error->>'message', 160), count(*)
	  FROM movies WHERE user_id IN (SELECT id FROM u) AND status = 'failed' GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC")
	if grep -q 'renderer stopped while working' <<<"$FAILED_BY"; then
		violation "failures from a crash loop: $(grep 'renderer stopped while working' <<<"$FAILED_BY" | tr '\t\n' ' ;')"
	fi
	STATUS_BY=$(sql "WITH $(RUN_USERS)
	  SELECT CASE WHEN movie_id IS NULL THEN provider ELSE 'take' END, status, count(*) FROM videos WHERE user_id IN (SELECT id FROM u) GROUP BY 1, 2
	  UNION ALL SELECT 'movie', status, count(*) FROM movies WHERE user_id IN (SELECT id FROM u) GROUP BY 1, 2")
	JOBS_FIG=$(sql "SELECT count(*), count(*) FILTER (WHERE retries > 0), coalesce(sum(retries), 0), coalesce(max(attempt), 0)
	  FROM jobs WHERE created_at >= '$START_DB'")
	# what the jobs that recovered had met last
	RETRY_CODES=$(sql "SELECT last_error->>'code', count(*) FROM jobs WHERE created_at >= '$START_DB' AND retries > 0
	  AND state = 'succeeded' AND last_error IS NOT NULL GROUP BY 1 ORDER BY 2 DESC")
}

# status_count WHO STATUS: from STATUS_BY.
status_count() { awk -F'\t' -v w="$1" -v s="$2" '$1 == w && $2 == s { n += $3 } END { print n + 0 }' <<<"$STATUS_BY"; }

# check_outputs: every succeeded video and movie has its files, with the recorded sha256
# and size.
check_outputs() {
	local id status rel thumb sha size f got_sha got_size out_dir res dir
	FILES_CHECKED=0 BYTES_CHECKED=0
	while IFS=$'\t' read -r id status rel thumb sha size; do
		[ -n "$id" ] || continue
		f=$STORAGE/$rel
		if [ "$rel" = - ] || [ ! -f "$f" ]; then
			violation "video $id succeeded but its file $rel is missing (- is no content_path)"
			continue
		fi
		got_size=$(stat -c %s "$f")
		got_sha=$(sha256sum <"$f" | cut -d' ' -f1)
		[ "$got_sha" = "$sha" ] || violation "video $id: sha256 of $rel is $got_sha, the row says $sha"
		[ "$got_size" = "$size" ] || violation "video $id: $rel has $got_size bytes, the row says $size"
		[ -s "$STORAGE/$thumb" ] || violation "video $id succeeded but its thumbnail $thumb is missing (- is none)"
		FILES_CHECKED=$((FILES_CHECKED + 1))
		BYTES_CHECKED=$((BYTES_CHECKED + got_size))
	done < <(sql "WITH $(RUN_USERS) SELECT id, status, coalesce(content_path, '-'), coalesce(thumbnail_path, '-'),
	  coalesce(result->>'sha256', '-'), coalesce(result->>'size_bytes', '-') FROM videos WHERE user_id IN (SELECT id FROM u) AND status = 'succeeded'")
	while IFS=$'\t' read -r id out_dir res; do
		[ -n "$id" ] || continue
		dir=$STORAGE/$out_dir
		f=$dir/film.mp4
		if [ "$out_dir" = - ] || [ ! -f "$f" ]; then
			violation "movie $id succeeded but its film $out_dir/film.mp4 is missing (- is no output_dir)"
			continue
		fi
		got_size=$(stat -c %s "$f")
		got_sha=$(sha256sum <"$f" | cut -d' ' -f1)
		[ "$got_sha" = "$(jq -r .sha256 <<<"$res")" ] || violation "movie $id: sha256 of film.mp4 is $got_sha, the row says $(jq -r .sha256 <<<"$res")"
		[ "$got_size" = "$(jq -r .size_bytes <<<"$res")" ] || violation "movie $id: film.mp4 has $got_size bytes, the row says $(jq -r .size_bytes <<<"$res")"
		[ "$(stat -c %s "$dir/film.webm" 2>/dev/null)" = "$(jq -r .webm_size_bytes <<<"$res")" ] ||
			violation "movie $id: film.webm is missing or not the recorded $(jq -r .webm_size_bytes <<<"$res") bytes"
		[ "$(find "$dir/hls" -maxdepth 1 -name 'seg_*.ts' 2>/dev/null | wc -l)" = "$(jq -r .hls_segments <<<"$res")" ] && [ -s "$dir/hls/index.m3u8" ] ||
			violation "movie $id: the HLS playlist or some of its $(jq -r .hls_segments <<<"$res") segments are missing"
		for f in poster.jpg contact.jpg subtitles.vtt; do
			[ -s "$dir/$f" ] || violation "movie $id: $out_dir/$f is missing"
		done
		FILES_CHECKED=$((FILES_CHECKED + 1))
		BYTES_CHECKED=$((BYTES_CHECKED + got_size))
	done < <(sql "WITH $(RUN_USERS) SELECT id, coalesce(output_dir, '-'), coalesce(result::text, '{}') FROM movies
	  WHERE user_id IN (SELECT id FROM u) AND status = 'succeeded'")
}

# check_renders: how often the runner started rendering each local video (runner.log
# "rendering video <id>"): more than once means a kill interrupted a render, which is
# allowed (it rewrites the same file); succeeded without any render is not.
check_renders() {
	local counts
	counts=$(tail -c +$((LOG_OFFSET + 1)) "$VEOGEN_LOG_DIR/runner.log" 2>/dev/null |
		grep -o 'rendering video [0-9a-f-]\{36\}' | awk '{ n[$3]++ } END { for (i in n) print i "\t" n[i] }')
	RERENDERED=$(awk -F'\t' '$2 > 1' <<<"$counts" | grep -c .)
	MAX_RENDERS=$(awk -F'\t' 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' <<<"$counts")
	RENDER_LINES=$(awk -F'\t' '{ s += $2 } END { print s + 0 }' <<<"$counts")
	[ "$RENDER_LINES" -gt 0 ] || return 0 # no such log lines at all: the figure is unknown
	local missing
	missing=$(sql "WITH $(RUN_USERS) SELECT id FROM videos WHERE user_id IN (SELECT id FROM u) AND provider = 'local'
	  AND status = 'succeeded'" | awk -F'\t' 'NR == FNR { r[$1] = 1; next } !($1 in r)' <(printf '%s\n' "$counts") -)
	[ -z "$missing" ] || violation "local videos that succeeded without a render in runner.log: $(tr '\n' ' ' <<<"$missing")"
}

# check_provider: the fake Gemini API's own records: each gemini video reached it at most
# once (providers.resubmit_lost is false), and a succeeded one exactly once, with the
# operation the row names.
check_provider() {
	GEMINI_VIDEOS=0 GEMINI_OPS=0 GEMINI_DUP=0 GEMINI_SUBMITS="?" GEMINI_LOST=0
	[ -n "${VEOGEN_FAKE_URL:-}" ] || return 0
	local ops reqs last id tag status op n names
	ops=$(curl -s --max-time 30 "$VEOGEN_FAKE_URL/_fake/operations?prompt=$RUN-v") ||
		violation "GET $VEOGEN_FAKE_URL/_fake/operations failed"
	# per tag: operation count and names
	ops=$(jq -r --arg r "$RUN" '[.[] | {t: (.prompt | capture("(?<t>" + $r + "-v[0-9]+)").t), n: .name}]
	  | group_by(.t)[] | [.[0].t, length, (map(.n) | join(" "))] | @tsv' <<<"$ops")
	GEMINI_OPS=$(awk -F'\t' '{ s += $2 } END { print s + 0 }' <<<"$ops")
	GEMINI_DUP=$(awk -F'\t' '$2 > 1' <<<"$ops" | grep -c .)
	[ "$GEMINI_DUP" = 0 ] || violation "generations submitted to the provider more than once (tag, operations): $(awk -F'\t' '$2 > 1 { printf "%s %s; ", $1, $2 }' <<<"$ops")"
	reqs=$(curl -s --max-time 30 "$VEOGEN_FAKE_URL/_fake/requests?since=$FAKE_SEQ&prefix=/v1beta/models")
	last=$(curl -s --max-time 30 "$VEOGEN_FAKE_URL/_fake/stats" | jq -r '.last_seq // 0')
	# the fake keeps its last 2000 requests: were all of this run's kept?
	if [ $((last - FAKE_SEQ)) -le 2000 ]; then
		reqs=$(jq -r --arg r "$RUN" '[.[] | select(.method == "POST" and (.path | test(":predictLongRunning")))
		  | .body.instances[0].prompt // "" | capture("(?<t>" + $r + "-v[0-9]+)")? | .t] | group_by(.)[] | [.[0], length] | @tsv' <<<"$reqs")
		GEMINI_SUBMITS=$(awk -F'\t' '{ s += $2 } END { print s + 0 }' <<<"$reqs")
		n=$(awk -F'\t' '$2 > 1 { printf "%s %s; ", $1, $2 }' <<<"$reqs")
		[ -z "$n" ] || violation "submit requests sent more than once for a video (tag, requests): $n"
	fi
	while IFS=$'\t' read -r id tag status op lost code; do
		[ -n "$id" ] || continue
		GEMINI_VIDEOS=$((GEMINI_VIDEOS + 1))
		n=$(awk -F'\t' -v t="$tag" '$1 == t { print $2 }' <<<"$ops")
		names=$(awk -F'\t' -v t="$tag" '$1 == t { print $3 }' <<<"$ops")
		if [ "$lost" = t ]; then
			# the fake made the operation and dropped the answer: not to be sent again
			GEMINI_LOST=$((GEMINI_LOST + 1))
			[ "$status/$code/${n:-0}" = failed/provider_unavailable/1 ] ||
				violation "gemini video $id ($tag) lost its submit answer on purpose: expected failed with provider_unavailable after exactly 1 operation, got $status ($code) after ${n:-0}"
		elif [ "$status" = succeeded ] && { [ "${n:-0}" != 1 ] || [ "$names" != "$op" ]; }; then
			violation "gemini video $id ($tag) succeeded with operation '$op', but the fake has ${n:-0} operation(s) for it: $names"
		fi
	done < <(sql "WITH $(RUN_USERS) SELECT id, substring(prompt from '^$RUN-v[0-9]+'), status, coalesce(operation_name, '-'),
	  prompt LIKE '%fake:lostsubmit%', coalesce(error->>'code', '-') FROM videos WHERE user_id IN (SELECT id FROM u) AND provider = 'gemini'")
}

# scan_storage OUT: every file written since the start (and every temp name) as
# "owned|temp|orphan <path>", a temp or orphan counted once at its outermost name.
scan_storage() {
	{
		sql "SELECT content_path FROM videos WHERE content_path IS NOT NULL
		  UNION ALL SELECT thumbnail_path FROM videos WHERE thumbnail_path IS NOT NULL
		  UNION ALL SELECT storage_path FROM files UNION ALL SELECT output_dir FROM movies WHERE output_dir IS NOT NULL" ||
			echo "__the database did not answer__"
		echo "__end_of_owned__"
		# temp names (files or directories) as a whole, and the other files
		(cd "$STORAGE" && find . \( -name '*.tmp.*' -prune -newer "$WORK/start" -printf '%P\n' \) -o \
			\( -type f -newer "$WORK/start" -printf '%P\n' \))
	} | awk -F/ '
		!listing && $0 == "__end_of_owned__" { listing = 1; next }
		!listing { own[$0] = 1; next }
		{
			unit = ""
			for (i = 1; i <= NF; i++) {
				unit = unit (i > 1 ? "/" : "") $i
				if (index($i, ".tmp.")) { if (!seen[unit]++) print "temp " unit; next }
			}
			if ($0 in own) { if (!seen[$0]++) print "owned " $0; next }
			if ($1 == "movies" && NF > 4 && (($1 "/" $2 "/" $3 "/" $4) in own)) { if (!seen[$0]++) print "owned " $0; next }
			if (!seen[$0]++) print "orphan " $0
		}' >"$1"
	if grep -q '__the database did not answer__' "$1"; then
		violation "the database did not answer the list of stored files"
	fi
}

# check_storage: what the crashes left behind (temp files, files no row names), then
# veogen-cleanup, after which nothing may remain (and nothing owned may be gone).  The
# debris is made to look old first: cleanup leaves young files alone, since a young one may
# belong to a write still in progress, which at this point none is.
check_storage() {
	local out rc unit kind gone=0
	scan_storage "$WORK/storage.before"
	TEMP_BEFORE=$(grep -c '^temp ' "$WORK/storage.before")
	ORPHAN_BEFORE=$(grep -c '^orphan ' "$WORK/storage.before")
	OWNED_FILES=$(grep -c '^owned ' "$WORK/storage.before")
	if [ $((TEMP_BEFORE + ORPHAN_BEFORE)) -gt 0 ]; then
		say "left behind by the crashes (before veogen-cleanup): $TEMP_BEFORE temp, $ORPHAN_BEFORE orphan:"
		grep -v '^owned ' "$WORK/storage.before" | head -n 10 | sed 's/^/    /'
	fi
	while read -r kind unit; do
		[ "$kind" = owned ] || touch -h -d @86400 "$STORAGE/$unit"
	done <"$WORK/storage.before"
	out=$("$VEOGEN_BIN_DIR/veogen-cleanup" -c "$VEOGEN_CONF" -v 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$WORK/cleanup.out"
	[ "$rc" = 0 ] || violation "veogen-cleanup exited with $rc: $(tail -n 5 <<<"$out" | tr '\n' ' ')"
	CLEANUP_REMOVED=$(grep -c '^removed ' <<<"$out")
	grep -q 'is missing from' <<<"$out" &&
		violation "veogen-cleanup found rows whose file vanished: $(grep 'is missing from' <<<"$out" | head -n 5 | tr '\n' ' ')"
	LEFT_AFTER=0
	while read -r kind unit; do
		if [ "$kind" = owned ]; then
			[ -e "$STORAGE/$unit" ] || {
				gone=$((gone + 1))
				violation "veogen-cleanup removed $unit, which a row names"
			}
		elif [ -e "$STORAGE/$unit" ] || [ -L "$STORAGE/$unit" ]; then
			LEFT_AFTER=$((LEFT_AFTER + 1))
			violation "still there after veogen-cleanup ($kind): $unit"
		fi
	done <"$WORK/storage.before"
	scan_storage "$WORK/storage.after"
	while read -r kind unit; do
		[ "$kind" = owned ] && continue
		grep -qxF "$kind $unit" "$WORK/storage.before" && continue
		LEFT_AFTER=$((LEFT_AFTER + 1))
		violation "after veogen-cleanup, a new $kind file: $unit"
	done <"$WORK/storage.after"
}

verify_all() {
	say "checking rows, outputs, renders, provider submits and storage"
	check_rows
	check_outputs
	check_renders
	check_provider
	check_storage
}

# fault_sum KIND: how many events of that kind; fault_ms KIND: their total duration.
fault_count() { awk -F'\t' -v k="$1" '$2 == k { n++ } END { print n + 0 }' "$WORK/events.tsv" 2>/dev/null || echo 0; }
fault_secs() { awk -F'\t' -v k="$1" '$2 == k { s += $4 } END { printf "%.1f", s / 1000 }' "$WORK/events.tsv" 2>/dev/null || echo 0; }

print_figures() {
	local c503=0 c429=0 cconn=0 c5xx=0 dur kills own_ok gem_ok
	[ ! -s "$WORK/client.tsv" ] || IFS=$'\t' read -r c503 c429 cconn c5xx <"$WORK/client.tsv"
	dur=$((T_END - T0))
	[ "$dur" -gt 0 ] || dur=1
	kills=$(($(fault_count worker-cpu) + $(fault_count worker-remote) + $(fault_count worker-idle) + $(fault_count master) + $(fault_count group)))
	own_ok=$(($(status_count local succeeded) + $(status_count gemini succeeded)))
	gem_ok=$(status_count gemini succeeded)
	local jobs_total jobs_retried retries max_claim
	IFS=$'\t' read -r jobs_total jobs_retried retries max_claim <<<"$JOBS_FIG"
	printf '\nchaos: figures (run %s, seed %s)\n' "$RUN" "$SEED"
	printf '  %-17s %s\n' \
		submitted "$VIDEOS videos ($(grep -c $'^v\t[0-9]*\t[^\t]*\tlocal' "$WORK/submitted.tsv") local, $(grep -c $'^v\t[0-9]*\t[^\t]*\tgemini' "$WORK/submitted.tsv") gemini) and $MOVIES movies ($(awk -F'\t' '$1 == "take" { n += $3 } END { print n + 0 }' <<<"$STATUS_BY") scene takes) by $USERS users" \
		succeeded "$own_ok videos ($(status_count local succeeded) local, $gem_ok gemini), $(status_count take succeeded) scene takes, $(status_count movie succeeded) movies" \
		failed "$(($(status_count local failed) + $(status_count gemini failed))) videos, $(status_count take failed) scene takes, $(status_count movie failed) movies" \
		cancelled "$(($(status_count local cancelled) + $(status_count gemini cancelled) + $(status_count take cancelled))) videos, $(status_count movie cancelled) movies" \
		kills "$kills SIGKILLs: $(fault_count worker-cpu) busy CPU workers, $(fault_count worker-remote) remote workers, $(fault_count worker-idle) idle workers, $(fault_count master) masters alone, $(fault_count group) whole runners; $(fault_count runner-start) restarts, $(fault_count stray) stray children" \
		outages "PostgreSQL down and back in $(fault_secs postgres) s ($(fault_count postgres)x), Redis stopped $(fault_secs redis) s ($(fault_count redis)x), runner restarts took $(fault_secs runner-start) s in all" \
		"client retries" "503: $c503, 429: $c429, no answer: $cconn, other 5xx: $c5xx" \
		jobs "$jobs_total made, $jobs_retried with a failed try ($retries failed tries in all, most claims of one job $max_claim)" \
		"recovered from" "$(awk -F'\t' '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' <<<"$RETRY_CODES")" \
		"local renders" "${RENDER_LINES:-0} for the local videos and takes; ${RERENDERED:-0} rendered more than once (at most ${MAX_RENDERS:-0} times), each still one file" \
		"gemini submits" "$GEMINI_VIDEOS videos ($GEMINI_LOST losing their submit answer on purpose), $GEMINI_OPS operations at the fake, $GEMINI_SUBMITS submit requests, $GEMINI_DUP videos submitted twice" \
		outputs "$FILES_CHECKED files checked against their sha256 and size ($((BYTES_CHECKED / 1048576)) MiB), $OWNED_FILES files written in all" \
		debris "before veogen-cleanup: $TEMP_BEFORE temp, $ORPHAN_BEFORE orphan; cleanup removed $CLEANUP_REMOVED; left after it: $LEFT_AFTER" \
		duration "${dur} s (deadline ${DEADLINE} s)" \
		throughput "$(awk -v n="$own_ok" -v d="$dur" 'BEGIN { printf "%.2f videos/s (%.0f a minute)", n / d, n * 60 / d }') under faults, movies and takes aside"
	if [ -n "$FAILED_BY" ]; then
		printf '  failures by reason:\n'
		awk -F'\t' '{ printf "    %4d  %s %s: %s (%s)\n", $5, $1, $2, $3, $4 }' <<<"$FAILED_BY"
	fi
}
