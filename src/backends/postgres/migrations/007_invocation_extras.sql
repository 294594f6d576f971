-- taskapp PostgreSQL schema, version 15: facts kept beside an invocation, off its hot-path row
-- (issue 19): the invocation it reruns and its last reported progress. Deleted by purge with it.
CREATE TABLE invocation_extras (
  inv_id           text PRIMARY KEY,
  rerun_of         text,
  progress         double precision,
  progress_message text,
  progress_at      bigint
);
