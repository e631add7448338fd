-- queue_drain.sh, the raw SKIP LOCKED ceiling: the minimal job table of
-- shared/research/bench/sql/schema.sql (no queue library, no triggers, one partial index).
DROP TABLE IF EXISTS q;
CREATE TABLE q (
  id         bigserial PRIMARY KEY,
  queue      text        NOT NULL DEFAULT 'default',
  state      smallint    NOT NULL DEFAULT 0,      -- 0 available, 1 running, 2 done
  priority   smallint    NOT NULL DEFAULT 0,
  run_at     timestamptz NOT NULL DEFAULT now(),
  attempts   int         NOT NULL DEFAULT 0,
  locked_by  text,
  locked_at  timestamptz,
  payload    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX q_claim ON q (queue, priority, run_at, id) WHERE state = 0;
INSERT INTO q (payload) SELECT jsonb_build_object('i', i) FROM generate_series(1, :n) i;
VACUUM ANALYZE q;
