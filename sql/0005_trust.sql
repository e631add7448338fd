-- veogen schema, version 5: trust.  Webhook secrets, events and delivery attempts.

-- The per-user webhook secret ("whsec_" + base64 of 32 random bytes), created on first use.
-- After a rotation the previous one still signs for 24 hours, so receivers can switch over.
ALTER TABLE users
    ADD COLUMN webhook_secret            text,
    ADD COLUMN webhook_secret_created_at timestamptz,
    ADD COLUMN webhook_secret_previous   text,
    ADD COLUMN webhook_secret_rotated_at timestamptz;

-- When the last progress event of a target was queued: progress events go out at most
-- every 5 seconds (API.md).
ALTER TABLE videos ADD COLUMN webhook_progress_at timestamptz;
ALTER TABLE movies ADD COLUMN webhook_progress_at timestamptz;

-- One event for one webhook_url.  Its id is the webhook-id header ("msg_" || id), the same
-- for every retry; body holds the exact bytes sent, rendered at the first attempt.
CREATE TABLE webhook_events (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_type     text NOT NULL CHECK (target_type IN ('video', 'movie')),
    target_id       uuid NOT NULL,
    type            text NOT NULL
                    CHECK (type IN ('started', 'progress', 'succeeded', 'failed', 'cancelled')),
    url             text NOT NULL,
    snapshot        jsonb NOT NULL,            -- {status, progress, stage} when it happened
    body            text,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_status     integer,                   -- HTTP status of the last attempt
    last_error      text,
    next_attempt_at timestamptz,
    job_id          uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX webhook_events_user ON webhook_events (user_id, created_at DESC, id DESC);
CREATE INDEX webhook_events_target ON webhook_events (target_id);
CREATE INDEX webhook_events_finished ON webhook_events (created_at) WHERE state <> 'pending';

-- Every delivery attempt: when, how long, the address actually connected to, the answer.
CREATE TABLE webhook_attempts (
    event_id    uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL,
    address     text,                          -- NULL when no connection was made
    status      integer,                       -- NULL when no HTTP answer came
    error       text,                          -- NULL for a 2xx
    PRIMARY KEY (event_id, attempt)
);

-- The triggers that queue events follow (written with the runner's delivery job).
