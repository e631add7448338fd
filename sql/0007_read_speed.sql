-- veogen schema, version 7: API reads (tests/bench/README.md, "api_load.sh").

-- vg_rfc3339 formats every timestamp the API returns.  Declared IMMUTABLE around to_char,
-- which is STABLE, it could not be inlined: every call went through the SQL function
-- executor, 16-40 % of PostgreSQL's CPU in the API benchmarks.  STABLE is what it is, and
-- lets the planner put to_char in its place.  (It is in no index, where IMMUTABLE would be
-- required.)
ALTER FUNCTION vg_rfc3339(timestamptz) STABLE;
