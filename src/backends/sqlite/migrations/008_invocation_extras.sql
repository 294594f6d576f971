-- taskapp SQLite schema, version 15: facts kept beside an invocation, off its hot-path row (issue 19):
-- the invocation it reruns and its last reported progress. Deleted by purge with the invocation.
CREATE TABLE invocation_extras (
  inv_id           TEXT PRIMARY KEY,
  rerun_of         TEXT,
  progress         REAL,
  progress_message TEXT,
  progress_at      INTEGER
);
