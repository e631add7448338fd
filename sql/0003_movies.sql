-- Movies (issue 4): a film of many scenes.  Each scene's take is an ordinary video of the
-- same user (videos.scene_id); the scene points at its current take.  Rendering a movie
-- queues one video.generate job per scene that needs a take (chained with job_deps when
-- the movie has continuity) and one movie.assemble job that waits for all of them.

CREATE TABLE movies (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title           text NOT NULL,
    status          text NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('planning', 'draft', 'rendering', 'assembling',
                                      'succeeded', 'failed', 'cancelled')),
    -- what is happening now, for people: "planning", "rendering scenes", "joining scenes",
    -- "exporting WebM" …
    stage           text,
    -- progress of the assembly (0–100); the movie's own progress is derived from its parts
    assembly_progress smallint NOT NULL DEFAULT 0 CHECK (assembly_progress BETWEEN 0 AND 100),
    concept         text,
    script          text,
    planner         text NOT NULL CHECK (planner IN ('hand', 'local', 'gemini')),
    outline_only    boolean NOT NULL DEFAULT false,  -- a bare concept planned without an LLM
    style           text NOT NULL,
    preset          text,
    scene_count     smallint NOT NULL CHECK (scene_count BETWEEN 1 AND 50),
    scene_duration_seconds smallint NOT NULL,
    aspect_ratio    text NOT NULL,
    resolution      text NOT NULL,
    provider        text NOT NULL,
    model           text NOT NULL,
    continuity      boolean NOT NULL DEFAULT true,
    characters      text[] NOT NULL DEFAULT '{}',    -- descriptions added to every scene prompt
    character_image_ids uuid[] NOT NULL DEFAULT '{}',
    transition      text NOT NULL DEFAULT 'cut',
    transition_seconds numeric(4, 2) NOT NULL DEFAULT 1,
    soundtrack_id   uuid REFERENCES files (id) ON DELETE RESTRICT,
    soundtrack_volume numeric(4, 2) NOT NULL DEFAULT 0.35,
    title_card      boolean NOT NULL DEFAULT false,
    budget_usd      numeric(12, 4),
    webhook_url     text,
    job_id          uuid REFERENCES jobs (id) ON DELETE SET NULL,  -- plan or assembly job
    error           jsonb,                       -- {code, message, retryable, scene_id?}
    result          jsonb,                       -- {duration_seconds, width, height, size_bytes, sha256, …}
    output_dir      text,                        -- relative to storage.dir, set when succeeded
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX movies_user_created ON movies (user_id, created_at DESC, id DESC);
CREATE INDEX movies_job ON movies (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX movies_soundtrack ON movies (soundtrack_id) WHERE soundtrack_id IS NOT NULL;

CREATE TABLE scenes (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    movie_id        uuid NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    position        integer NOT NULL CHECK (position >= 1),
    title           text,
    prompt          text NOT NULL,
    duration_seconds smallint NOT NULL,
    camera          text,
    caption         text,
    transition      text,                        -- NULL = the movie's transition
    video_id        uuid,                        -- the current take (FK below)
    stale           boolean NOT NULL DEFAULT false,  -- edited since its take was made
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- reorders rewrite every position in one transaction
    CONSTRAINT scenes_position UNIQUE (movie_id, position) DEFERRABLE INITIALLY DEFERRED
);

-- Takes: every video a scene ever had (the current one is scenes.video_id).  Old takes stay
-- until their movie is deleted or veogen-cleanup removes them.
ALTER TABLE videos
    ADD COLUMN movie_id uuid REFERENCES movies (id) ON DELETE CASCADE,
    ADD COLUMN scene_id uuid REFERENCES scenes (id) ON DELETE SET NULL,
    -- continuity: this take starts from the last frame of that video, extracted by the
    -- runner into a file (image_id) when the job starts
    ADD COLUMN continue_from uuid REFERENCES videos (id) ON DELETE SET NULL;
ALTER TABLE scenes
    ADD CONSTRAINT scenes_video FOREIGN KEY (video_id) REFERENCES videos (id) ON DELETE SET NULL;
CREATE INDEX videos_movie ON videos (movie_id, status) WHERE movie_id IS NOT NULL;
CREATE INDEX videos_scene ON videos (scene_id) WHERE scene_id IS NOT NULL;
-- Scene takes running now, counted against movies.scene_concurrency_per_user/_per_provider.
CREATE INDEX videos_movie_running ON videos (provider, user_id)
    WHERE movie_id IS NOT NULL AND status = 'running';
CREATE INDEX videos_continue_from ON videos (continue_from) WHERE continue_from IS NOT NULL;

-- Continuity frames are files the runner made for a movie: they go when the movie goes.
ALTER TABLE files ADD COLUMN movie_id uuid REFERENCES movies (id) ON DELETE CASCADE;
CREATE INDEX files_movie ON files (movie_id) WHERE movie_id IS NOT NULL;

-- A scene as the API shows it: its status is its current take's, unless it has none
-- ("pending") or was edited since ("stale").
CREATE VIEW scene_state AS
SELECT s.id, s.movie_id, s.position, s.title, s.prompt, s.duration_seconds, s.camera,
       s.caption, s.transition, s.video_id, s.stale,
       CASE WHEN s.video_id IS NULL THEN 'pending' WHEN s.stale THEN 'stale'
            ELSE v.status END AS status,
       CASE WHEN s.video_id IS NULL OR s.stale THEN 0 ELSE v.progress END AS progress,
       CASE WHEN s.stale THEN NULL ELSE v.error END AS error,
       coalesce(v.estimated_cost_usd, 0) AS take_estimated_cost_usd,
       coalesce(v.spent_cost_usd, 0) AS take_spent_cost_usd
FROM scenes s LEFT JOIN videos v ON v.id = s.video_id;
