-- pgbench script (queue_drain.sh): claim 100 jobs in one committed statement, then
-- complete the 100 in a second one: sql_ceiling.sh's claim_then_complete_b100 shape.
WITH j AS (
  SELECT id FROM q WHERE queue = 'default' AND state = 0 AND run_at <= now()
  ORDER BY priority, run_at, id LIMIT 100 FOR UPDATE SKIP LOCKED),
c AS (
  UPDATE q SET state = 1, attempts = attempts + 1, locked_by = 'bench', locked_at = now()
    FROM j WHERE q.id = j.id RETURNING q.id)
SELECT array_agg(id)::text AS ids FROM c
\gset
UPDATE q SET state = 2, locked_at = NULL WHERE id = ANY (:ids::bigint[]);
