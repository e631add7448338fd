-- veogen schema, version 4: operations.  Usage rollups written by veogen-rollup and read by
-- GET /api/v1/admin/usage, and the indexes that retention (veogen-cleanup) and the admin
-- lists scan.

-- One row per period, user, provider and model.  A video counts in the period of its
-- created_at (as quotas do); veogen-rollup recomputes the periods that can still change,
-- so a row is always the whole truth for its key, never an increment.
CREATE TABLE usage_rollups (
    period        text NOT NULL CHECK (period IN ('hour', 'day')),
    period_start  timestamptz NOT NULL,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider      text NOT NULL,
    model         text NOT NULL,
    videos        integer NOT NULL DEFAULT 0,         -- created in the period
    succeeded     integer NOT NULL DEFAULT 0,
    failed        integer NOT NULL DEFAULT 0,
    cancelled     integer NOT NULL DEFAULT 0,
    video_seconds bigint NOT NULL DEFAULT 0,          -- of the succeeded ones
    cost_usd      numeric(14, 4) NOT NULL DEFAULT 0,  -- billed (videos.spent_cost_usd)
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period, period_start, user_id, provider, model)
);
CREATE INDEX usage_rollups_user ON usage_rollups (user_id, period, period_start DESC);
CREATE INDEX usage_rollups_start ON usage_rollups (period, period_start DESC);
-- When veogen-rollup last ran: the next run recomputes from there (or the last 48 hours,
-- whichever is longer), and GET /api/v1/admin/usage shows it as rolled_up_at.
CREATE TABLE usage_rollup_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    ran_at    timestamptz NOT NULL
);
-- The rollup reads the videos created since a time, whoever made them.
CREATE INDEX videos_created ON videos (created_at);

-- Retention finds finished work by age; pruning finds finished jobs by age.
CREATE INDEX videos_finished ON videos (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX movies_finished ON movies (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_finished ON jobs (finished_at)
    WHERE state IN ('succeeded', 'failed', 'cancelled');
CREATE INDEX audit_log_at ON audit_log (at);
-- The admin queue view: newest first, filtered by state and kind.
CREATE INDEX jobs_state_kind_created ON jobs (state, kind, created_at DESC, id DESC);
