-- taskapp SQLite schema, version 2: task log lines kept for the monitor ([monitor] keep_logs).
CREATE TABLE logs (
  seq     INTEGER PRIMARY KEY,
  inv_id  TEXT NOT NULL,
  at      INTEGER NOT NULL,
  level   TEXT NOT NULL,
  message TEXT NOT NULL,
  fields  TEXT NOT NULL
);
CREATE INDEX logs_inv ON logs (inv_id, seq);
