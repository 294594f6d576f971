-- taskapp SQLite schema, version 1.
CREATE TABLE invocations (
  id          TEXT PRIMARY KEY,
  task_id     TEXT NOT NULL,
  args        TEXT NOT NULL,
  status      TEXT NOT NULL,
  owner       TEXT,
  attempt     INTEGER NOT NULL DEFAULT 0,
  priority    INTEGER NOT NULL DEFAULT 5,
  parent_id   TEXT,
  workflow_id TEXT,
  result      TEXT,
  error       TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX invocations_status ON invocations (status, updated_at);
CREATE INDEX invocations_task ON invocations (task_id, created_at);
CREATE INDEX invocations_created ON invocations (created_at);
CREATE INDEX invocations_owner ON invocations (owner) WHERE owner IS NOT NULL;

CREATE TABLE history (
  seq       INTEGER PRIMARY KEY,
  inv_id    TEXT NOT NULL,
  status    TEXT NOT NULL,
  runner_id TEXT,
  at        INTEGER NOT NULL
);
CREATE INDEX history_inv ON history (inv_id, seq);

CREATE TABLE queue (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  inv_id     TEXT NOT NULL,
  priority   INTEGER NOT NULL,
  not_before INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX queue_order ON queue (priority DESC, seq);

CREATE TABLE runners (
  id           TEXT PRIMARY KEY,
  info         TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL
);

CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE trigger_conditions (id TEXT PRIMARY KEY, spec TEXT NOT NULL);
CREATE TABLE trigger_last_fire (trigger_id TEXT PRIMARY KEY, last_fire INTEGER NOT NULL);
CREATE TABLE events (id TEXT PRIMARY KEY, code TEXT NOT NULL, payload TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX events_at ON events (at);
CREATE TABLE trigger_runs (run_id TEXT PRIMARY KEY, at INTEGER NOT NULL);

CREATE TABLE blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL, size INTEGER NOT NULL);
