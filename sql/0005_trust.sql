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

-- limits.max_active_jobs_per_user counts, on every request that starts work, a user's own
-- videos queued or running and movies planning, rendering or assembling.
CREATE INDEX videos_user_active ON videos (user_id)
    WHERE movie_id IS NULL AND status IN ('queued', 'running');
CREATE INDEX movies_user_active ON movies (user_id)
    WHERE status IN ('planning', 'rendering', 'assembling');

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

-- The events still to deliver, for the runner's reconcile (a job that ended without its
-- worker must not leave its event pending).
CREATE INDEX webhook_events_pending ON webhook_events (created_at) WHERE state = 'pending';

-- The movie's progress as the API shows it (vg_movie_to_json): planning/draft 0, rendering =
-- 90 x the scenes' progress weighted by duration, assembling = 90 + assembly_progress/10,
-- succeeded 100, failed/cancelled as rendering.  For the snapshot of a movie event.
CREATE FUNCTION vg_webhook_movie_progress(m movies) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN m.status IN ('planning', 'draft') THEN 0
        WHEN m.status = 'succeeded' THEN 100
        WHEN m.status = 'assembling' THEN 90 + least(greatest(m.assembly_progress, 0), 100) / 10
        ELSE (SELECT floor(0.9 * least(coalesce(sum(s.progress * s.duration_seconds)::float8
                                                / nullif(sum(s.duration_seconds), 0), 0), 100))::int
              FROM scene_state s WHERE s.movie_id = m.id)
    END
$$;

-- Queues one event: the event row and its delivery job (kind "webhook", priority 50: before
-- generation work), in the transaction of the change; the runner wakes at commit.
CREATE FUNCTION vg_webhook_queue(p_user uuid, p_target_type text, p_target uuid, p_type text,
                                 p_url text, p_snapshot jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    ev  uuid := gen_random_uuid();
    job uuid;
BEGIN
    INSERT INTO jobs (kind, payload, priority, max_attempts)
        VALUES ('webhook', jsonb_build_object('event_id', ev), 50, 5) RETURNING id INTO job;
    INSERT INTO webhook_events (id, user_id, target_type, target_id, type, url, snapshot, job_id)
        VALUES (ev, p_user, p_target_type, p_target, p_type, p_url, p_snapshot, job);
    PERFORM pg_notify('veogen_jobs', '');
END $$;

-- A video with its own webhook_url: started (first start only), progress (while running, at
-- most every 5 s: webhook_progress_at), succeeded, failed, cancelled.  BEFORE, to stamp
-- webhook_progress_at in the same row write.
CREATE FUNCTION vg_webhook_video() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ev text;
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NEW.status = 'running' AND OLD.started_at IS NULL THEN
            ev := 'started';
        ELSIF NEW.status IN ('succeeded', 'failed', 'cancelled') THEN
            ev := NEW.status;
        END IF;
    ELSIF NEW.status = 'running' AND NEW.progress <> OLD.progress
          AND (OLD.webhook_progress_at IS NULL
               OR OLD.webhook_progress_at <= now() - interval '5 seconds') THEN
        ev := 'progress';
        NEW.webhook_progress_at := now();
    END IF;
    IF ev IS NOT NULL THEN
        PERFORM vg_webhook_queue(NEW.user_id, 'video', NEW.id, ev, NEW.webhook_url,
                                 jsonb_build_object('status', NEW.status, 'progress', NEW.progress,
                                                    'stage', NEW.stage));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER videos_webhook
    BEFORE UPDATE OF status, progress ON videos FOR EACH ROW
    WHEN (NEW.webhook_url IS NOT NULL
          AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.progress IS DISTINCT FROM OLD.progress))
    EXECUTE FUNCTION vg_webhook_video();

-- A movie with a webhook_url: started (to rendering, but not back from assembling),
-- succeeded, failed, cancelled, and progress while rendering or assembling (throttled).
CREATE FUNCTION vg_webhook_movie() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ev text;
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status = 'rendering'
       AND OLD.status <> 'assembling' THEN
        ev := 'started';
    ELSIF NEW.status IS DISTINCT FROM OLD.status
          AND NEW.status IN ('succeeded', 'failed', 'cancelled') THEN
        ev := NEW.status;
    ELSIF NEW.status IN ('rendering', 'assembling')
          AND (OLD.webhook_progress_at IS NULL
               OR OLD.webhook_progress_at <= now() - interval '5 seconds') THEN
        ev := 'progress';
        NEW.webhook_progress_at := now();
    END IF;
    IF ev IS NOT NULL THEN
        PERFORM vg_webhook_queue(NEW.user_id, 'movie', NEW.id, ev, NEW.webhook_url,
                                 jsonb_build_object('status', NEW.status,
                                                    'progress', vg_webhook_movie_progress(NEW),
                                                    'stage', NEW.stage));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER movies_webhook
    BEFORE UPDATE OF status, assembly_progress ON movies FOR EACH ROW
    WHEN (NEW.webhook_url IS NOT NULL
          AND (NEW.status IS DISTINCT FROM OLD.status
               OR NEW.assembly_progress IS DISTINCT FROM OLD.assembly_progress))
    EXECUTE FUNCTION vg_webhook_movie();

-- A scene take's progress or status is its movie's progress.  AFTER, so the movie's progress
-- includes this change.  The movie row is stamped only when the throttle lets an event
-- through, and never waited for (SKIP LOCKED: a movie being changed elsewhere gets its
-- event from that change or the next take update), so takes never queue behind a movie.
CREATE FUNCTION vg_webhook_take() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    m movies;
BEGIN
    UPDATE movies SET webhook_progress_at = now()
    WHERE id = (SELECT id FROM movies
                WHERE id = NEW.movie_id AND webhook_url IS NOT NULL
                  AND status IN ('rendering', 'assembling')
                  AND (webhook_progress_at IS NULL
                       OR webhook_progress_at <= now() - interval '5 seconds')
                FOR UPDATE SKIP LOCKED)
    RETURNING * INTO m;
    IF m.id IS NOT NULL THEN
        PERFORM vg_webhook_queue(m.user_id, 'movie', m.id, 'progress', m.webhook_url,
                                 jsonb_build_object('status', m.status,
                                                    'progress', vg_webhook_movie_progress(m),
                                                    'stage', m.stage));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER videos_webhook_take
    AFTER UPDATE OF status, progress ON videos FOR EACH ROW
    WHEN (NEW.movie_id IS NOT NULL
          AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.progress IS DISTINCT FROM OLD.progress))
    EXECUTE FUNCTION vg_webhook_take();

-- Webhook deliveries have a lane of their own (runner.webhook_workers): a slow receiver
-- holds a webhook worker, never a worker that renders.  Each lane claims through its own
-- index, with the claim's predicate written out literally (src/vg_queue.c).
DROP INDEX jobs_claimable;
CREATE INDEX jobs_claimable ON jobs (priority, run_at, id)
    WHERE state = 'queued' AND step NOT LIKE 'remote.%' AND kind <> 'webhook';
CREATE INDEX jobs_claimable_webhook ON jobs (priority, run_at, id)
    WHERE state = 'queued' AND kind = 'webhook';
