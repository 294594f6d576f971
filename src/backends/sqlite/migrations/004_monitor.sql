-- taskapp SQLite schema, version 2: task log lines kept for the monitor ([monitor] keep_logs), and the
-- parent index behind list({ parentId }) (an invocation's children).
CREATE TABLE logs (
  seq     INTEGER PRIMARY KEY,
  inv_id  TEXT NOT NULL,
  at      INTEGER NOT NULL,
  level   TEXT NOT NULL,
  message TEXT NOT NULL,
  fields  TEXT NOT NULL
);
CREATE INDEX logs_inv ON logs (inv_id, seq);
CREATE INDEX invocations_parent ON invocations (parent_id) WHERE parent_id IS NOT NULL;
