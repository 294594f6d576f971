-- taskapp SQLite schema, version 9: paused tasks (issue 19, item 5). A paused task's queue entries
-- wait in parked_queue (moved by pause, or by a claim that took one) until resume moves them back.
CREATE TABLE paused_tasks (
  task_id   TEXT PRIMARY KEY,
  paused_at INTEGER NOT NULL
);
CREATE TABLE parked_queue (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id    TEXT NOT NULL,
  inv_id     TEXT NOT NULL,
  priority   INTEGER NOT NULL,
  not_before INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX parked_queue_task ON parked_queue (task_id, seq);
