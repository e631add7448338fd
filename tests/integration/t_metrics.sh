#!/usr/bin/env bash
# GET /metrics through nginx from loopback: a local video moves the HTTP, generation and
# ffmpeg figures (responders and runner add to shared memory), the DB gauges and build_info
# are there, an unknown path counts as "(unmatched)", and every line is the text format.
# PostgreSQL down: still 200, with the shared-memory figures and dependency_up 0.
here=$(dirname "$0")
. "$here/lib.sh"
. "$here/lib_more.sh"

METRICS=$IT_WORK/metrics

# scrape: the body of GET /metrics in $METRICS; checks the status and Content-Type.
scrape() {
	TOKEN="" api GET /metrics
	cp "$API_BODY" "$METRICS"
}

# value SAMPLE: the value of the line whose name and labels are exactly SAMPLE (0 if none).
value() {
	awk -v s="$1" 'index($0, s " ") == 1 { v = substr($0, length(s) + 2) } END { printf "%.0f\n", v + 0 }' "$METRICS"
}

# has_sample NAME: some sample of NAME (with or without labels) is there.
has_sample() { grep -Eq "^$1(\{| )" "$METRICS"; }

created='veogen_http_requests_total{method="POST",route="/api/v1/videos",status="202"}'
succeeded='veogen_video_generations_total{status="succeeded",provider="local",style="cinematic"}'
unmatched='veogen_http_requests_total{method="GET",route="(unmatched)",status="404"}'
probe_ok='veogen_ffmpeg_operations_total{operation_type="probe",status="ok"}'
render_ok='veogen_ffmpeg_operations_total{operation_type="local_render",status="ok"}'
thumb_ok='veogen_ffmpeg_operations_total{operation_type="thumbnail",status="ok"}'

scrape
expect_status 200 "metrics from loopback"
expect_header Content-Type '^text/plain; version=0\.0\.4; charset=utf-8$'
before_created=$(value "$created")
before_succeeded=$(value "$succeeded")
before_unmatched=$(value "$unmatched")
before_probe=$(value "$probe_ok")
before_render=$(value "$render_ok")
before_thumb=$(value "$thumb_ok")

register_user || exit 1
create_video '{"prompt": "A lighthouse at dusk, waves below", "style": "cinematic", "duration_seconds": 4}' || exit 1
expect_status 202
wait_video_done "$VIDEO_ID" 300 || exit 1
expect_eq "$VIDEO_STATUS" succeeded "the video succeeded"
TOKEN="" api GET /api/v1/no-such-resource-for-metrics
expect_status 404 "an unknown path"

scrape
expect_status 200 "metrics after a video"
check "POST /api/v1/videos 202 counted ($before_created -> $(value "$created"))" \
	test "$(value "$created")" -gt "$before_created"
check "generations_total succeeded/local moved ($before_succeeded -> $(value "$succeeded"))" \
	test "$(value "$succeeded")" -gt "$before_succeeded"
check "the 404 counts under route (unmatched)" test "$(value "$unmatched")" -gt "$before_unmatched"
check "ffmpeg local_render counted" test "$(value "$render_ok")" -gt "$before_render"
check "ffprobe probe counted" test "$(value "$probe_ok")" -gt "$before_probe"
check "ffmpeg thumbnail counted" test "$(value "$thumb_ok")" -gt "$before_thumb"
check "the generation's duration was observed" \
	test "$(value 'veogen_video_generation_duration_seconds_count{provider="local",style="cinematic"}')" -gt 0
check "the request duration histogram has the create route" \
	grep -q '^veogen_http_request_duration_seconds_bucket{method="POST",route="/api/v1/videos",le="+Inf"} ' "$METRICS"
check "veogen_jobs has the video.generate jobs" \
	test "$(value 'veogen_jobs{kind="video.generate",state="succeeded"}')" -gt 0
check "build_info is there" \
	grep -Eq '^veogen_build_info\{version="[^"]+",service="veogen"\} 1$' "$METRICS"
check "postgres is up" test "$(value 'veogen_dependency_up{dependency="postgres"}')" -eq 1
check "redis is up" test "$(value 'veogen_dependency_up{dependency="redis"}')" -eq 1
check "a runner is alive" test "$(value veogen_runners_alive)" -ge 1
for name in veogen_jobs_oldest_queued_age_seconds veogen_jobs_expired_leases \
	veogen_video_queue_size veogen_active_video_generations veogen_active_movie_projects \
	veogen_file_storage_bytes veogen_system_disk_usage_bytes veogen_runner_inflight_operations; do
	check "$name is there" has_sample "$name"
done
check "stored videos take bytes" \
	test "$(value 'veogen_file_storage_bytes{storage_type="videos"}')" -gt 0

# The text format 0.0.4: comments are HELP/TYPE, samples are name{labels} value.
sample_re='^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? (-?[0-9.e+-]+|[+-]Inf|NaN)$'
comment_re='^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$'
bad=$(grep -Ev "$sample_re|$comment_re" "$METRICS" | head -3)
expect_eq "$bad" "" "every line of the scrape is in the text format"
dups=$(grep -v '^#' "$METRICS" | sed 's/ [^ ]*$//' | sort | uniq -d | head -3)
expect_eq "$dups" "" "no sample appears twice"

# PostgreSQL down: the shared-memory figures stay, the database's are left out.
on_exit stack up postgres
stack down postgres
scrape
expect_status 200 "metrics while PostgreSQL is down"
check "postgres is reported down" test "$(value 'veogen_dependency_up{dependency="postgres"}')" -eq 0
check "the counters survive the outage" test "$(value "$succeeded")" -gt "$before_succeeded"
check "no DB gauge while PostgreSQL is down" eval '! has_sample veogen_jobs'
stack up postgres
# Hand the next test a stack whose responders all have their connection back: a responder
# that tried during the outage answers 503 until its next try (the contract allows that).
ready_run() {
	for _ in 1 2 3 4 5 6 7 8; do
		api GET /readyz
		[ "$API_STATUS" = 200 ] || return 1
	done
}
check "readyz answers 200 eight times in a row after the restart" wait_until 30 ready_run
