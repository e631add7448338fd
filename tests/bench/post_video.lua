-- wrk script: POST /api/v1/videos with the bench user's token (env VEOGEN_BENCH_TOKEN).
-- Every request creates a new video and job (no Idempotency-Key), so this measures creation.
-- No response() hook: it would slow wrk down on a 2-core machine; wrk's own
-- "Non-2xx or 3xx responses" line tells 202s from 429s and errors.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("VEOGEN_BENCH_TOKEN") or "")
wrk.body = '{"prompt":"benchmark: a paper boat on a rainy street","duration_seconds":4,' ..
	'"resolution":"720p","aspect_ratio":"16:9"}'
