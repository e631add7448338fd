-- pgbench script (queue_drain.sh): claim one job in one committed statement, then complete
-- it in a second one: sql_ceiling.sh's claim_then_complete shape (the runner's shape).
WITH j AS (
  SELECT id FROM q WHERE queue = 'default' AND state = 0 AND run_at <= now()
  ORDER BY priority, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
UPDATE q SET state = 1, attempts = attempts + 1, locked_by = 'bench', locked_at = now()
  FROM j WHERE q.id = j.id RETURNING q.id AS jid
\gset
UPDATE q SET state = 2, locked_at = NULL WHERE id = :jid;
