-- veogen schema, version 1: accounts, credentials, files, videos, the job queue, audit.
-- Applied once by `veogenctl migrate` inside a transaction and recorded in schema_migrations.


-- RFC 3339 UTC with second precision, the API's one timestamp format.
CREATE FUNCTION vg_rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email          text NOT NULL,
    password_hash  text NOT NULL,
    display_name   text,
    role           text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    disabled       boolean NOT NULL DEFAULT false,
    quota_video_seconds_month integer,          -- NULL = unlimited
    quota_cost_usd_month      numeric(12, 4),   -- NULL = unlimited
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- Responders cache who may act (role, disabled, quotas) and forget a user when this says so,
-- whoever changed the row: the API, veogenctl or an admin with psql.
CREATE FUNCTION vg_users_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('veogen_users', OLD.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER users_changed
    AFTER UPDATE OF role, disabled, quota_video_seconds_month, quota_cost_usd_month OR DELETE
    ON users FOR EACH ROW EXECUTE FUNCTION vg_users_changed();

-- Refresh tokens rotate: each use marks the row used and issues a child in the same family.
-- Presenting a used token again revokes the whole family (token theft).
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id    uuid NOT NULL,
    token_hash   text NOT NULL UNIQUE,     -- sha256 hex of the opaque token
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     text NOT NULL UNIQUE,     -- sha256 hex of the whole key
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at DESC);

CREATE TABLE files (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    mime_type    text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    sha256       text NOT NULL,
    width        integer,
    height       integer,
    duration_seconds double precision,
    storage_path text NOT NULL,            -- relative to storage.dir
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_user ON files (user_id, created_at DESC);

-- The job queue.  state: blocked (waits on job_deps) | queued | running | succeeded |
-- failed | cancelled.  attempt counts claims and fences every update of a running job;
-- retries counts failed tries against max_attempts.
CREATE TABLE jobs (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind          text NOT NULL,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('blocked', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    step          text NOT NULL DEFAULT 'start',
    priority      smallint NOT NULL DEFAULT 100,
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempt       integer NOT NULL DEFAULT 0,
    retries       integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    lease_until   timestamptz,
    locked_by     text,
    heartbeat_at  timestamptz,
    payload       jsonb NOT NULL DEFAULT '{}',
    state_data    jsonb NOT NULL DEFAULT '{}',
    last_error    jsonb,                     -- {code, message, retryable}
    parent_id     uuid REFERENCES jobs (id) ON DELETE CASCADE,
    idempotency_key text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
) WITH (fillfactor = 80);                    -- room for HOT updates of state/lease
-- Only the claimable rows: the claim query walks this index and nothing else.
CREATE INDEX jobs_claimable ON jobs (priority, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_running_lease ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_parent ON jobs (parent_id) WHERE parent_id IS NOT NULL;
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- A blocked job waits until every job it depends on has succeeded.
CREATE TABLE job_deps (
    job_id     uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    depends_on uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, depends_on)
);
CREATE INDEX job_deps_depends_on ON job_deps (depends_on);

CREATE TABLE videos (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id          uuid REFERENCES jobs (id) ON DELETE SET NULL,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    stage           text NOT NULL DEFAULT 'queued'
                    CHECK (stage IN ('queued', 'submitting', 'generating', 'downloading', 'finalizing', 'done')),
    progress        smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    prompt          text NOT NULL,
    negative_prompt text,
    style           text,
    duration_seconds smallint NOT NULL,
    aspect_ratio    text NOT NULL,
    resolution      text NOT NULL,
    seed            bigint CHECK (seed BETWEEN 0 AND 4294967295),
    image_id        uuid REFERENCES files (id) ON DELETE RESTRICT,
    last_frame_id   uuid REFERENCES files (id) ON DELETE RESTRICT,
    reference_image_ids uuid[] NOT NULL DEFAULT '{}',
    provider        text NOT NULL,
    model           text NOT NULL,
    webhook_url     text,
    attempts        integer NOT NULL DEFAULT 0,
    error           jsonb,                   -- {code, message, retryable}
    result          jsonb,                   -- {width, height, duration_seconds, size_bytes, sha256, mime_type, has_audio}
    content_path    text,                    -- relative to storage.dir
    thumbnail_path  text,
    estimated_cost_usd numeric(12, 4) NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
-- Newest first with a stable tie-break: the cursor is (created_at, id).
CREATE INDEX videos_user_created ON videos (user_id, created_at DESC, id DESC);
CREATE INDEX videos_job ON videos (job_id);

CREATE TABLE idempotency_keys (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          text NOT NULL,
    request_hash text NOT NULL,             -- sha256 of the canonical request body
    video_id     uuid REFERENCES videos (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     uuid,                        -- who acted (NULL = anonymous or system)
    action      text NOT NULL,               -- "auth.login", "apikey.create" …
    target_type text,
    target_id   text,
    ip          text,
    request_id  text,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_user ON audit_log (user_id, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, id DESC);

-- Runners report here every few seconds, so /readyz can tell whether anyone will run jobs.
CREATE TABLE runners (
    name        text PRIMARY KEY,
    pid         integer NOT NULL,
    workers     integer NOT NULL,
    version     text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    seen_at     timestamptz NOT NULL DEFAULT now()
);
