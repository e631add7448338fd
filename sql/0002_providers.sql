-- Real providers, uploads and cost control (issue 3).

-- What the user asked for stays in prompt; the Gemini text client's rewrite, when
-- enhance_prompt was asked, is kept beside it and is what the provider receives.
ALTER TABLE videos
    ADD COLUMN enhance_prompt  boolean NOT NULL DEFAULT false,
    ADD COLUMN enhanced_prompt text,
    -- The provider's long-running operation, committed before its first poll, so a runner
    -- that dies resumes polling it instead of paying for a second submit.
    ADD COLUMN operation_name  text,
    -- What the provider billed (0 for a safety-filtered or failed generation).
    ADD COLUMN spent_cost_usd  numeric(12, 4) NOT NULL DEFAULT 0;

-- Quotas: NULL now means "the default of the config" (quotas.* keys), not "unlimited".
COMMENT ON COLUMN users.quota_video_seconds_month IS 'NULL = quotas.video_seconds_month of the config';
COMMENT ON COLUMN users.quota_cost_usd_month IS 'NULL = quotas.cost_usd_month of the config';

-- Monthly usage sums a user's videos of the month.
CREATE INDEX videos_user_month_active ON videos (user_id, created_at)
    WHERE status NOT IN ('failed', 'cancelled');

-- Files in use by unfinished videos cannot be deleted (409): found through these.
CREATE INDEX videos_image ON videos (image_id) WHERE image_id IS NOT NULL;
CREATE INDEX videos_last_frame ON videos (last_frame_id) WHERE last_frame_id IS NOT NULL;

-- Two lanes of work.  Steps named remote.* wait on a provider's HTTP API: the runner's
-- remote loop holds thousands of them at once.  Every other step uses the CPU (ffmpeg) and
-- runs one at a time per worker.  Each lane claims through its own index, so neither scans
-- past the other's queued jobs.
DROP INDEX jobs_claimable;
CREATE INDEX jobs_claimable ON jobs (priority, run_at, id)
    WHERE state = 'queued' AND step NOT LIKE 'remote.%';
CREATE INDEX jobs_claimable_remote ON jobs (priority, run_at, id)
    WHERE state = 'queued' AND step LIKE 'remote.%';
