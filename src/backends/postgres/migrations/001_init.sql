-- taskapp PostgreSQL schema, version 1. Runs with search_path set to taskapp's own schema
-- (postgres.schema), so names here are unqualified. Times are epoch milliseconds (bigint).
CREATE TABLE invocations (
  id          text PRIMARY KEY,
  -- Insertion order, to break ties between invocations created in the same millisecond.
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  task_id     text NOT NULL,
  args        text NOT NULL,
  status      text NOT NULL,
  owner       text,
  attempt     integer NOT NULL DEFAULT 0,
  priority    smallint NOT NULL DEFAULT 5,
  parent_id   text,
  workflow_id text,
  result      text,
  error       text,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL
);
CREATE INDEX invocations_status ON invocations (status, updated_at);
CREATE INDEX invocations_task ON invocations (task_id, created_at);
CREATE INDEX invocations_created ON invocations (created_at, seq);
CREATE INDEX invocations_owner ON invocations (owner) WHERE owner IS NOT NULL;

CREATE TABLE history (
  seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  inv_id    text NOT NULL,
  status    text NOT NULL,
  runner_id text,
  at        bigint NOT NULL
);
CREATE INDEX history_inv ON history (inv_id, seq);

-- The broker. A claim marks rows with its token (FOR UPDATE SKIP LOCKED) and the same broker's next
-- claim deletes them: a claim whose answer was lost with its connection can be read back by token.
-- Rows claimed longer ago than the claim lease are handed out again (the claimer died before acquire).
CREATE TABLE queue (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  inv_id     text NOT NULL,
  priority   smallint NOT NULL,
  not_before bigint NOT NULL DEFAULT 0,
  claimed_by text,
  claimed_at bigint
);
CREATE INDEX queue_order ON queue (priority DESC, seq);
CREATE INDEX queue_delayed ON queue (not_before) WHERE not_before > 0;

CREATE TABLE runners (
  id           text PRIMARY KEY,
  info         text NOT NULL,
  heartbeat_at bigint NOT NULL
);

CREATE TABLE leases (
  name       text PRIMARY KEY,
  holder     text NOT NULL,
  expires_at bigint NOT NULL
);

CREATE TABLE trigger_conditions (id text PRIMARY KEY, spec text NOT NULL);
CREATE TABLE trigger_last_fire (trigger_id text PRIMARY KEY, last_fire bigint NOT NULL);
CREATE TABLE events (id text PRIMARY KEY, code text NOT NULL, payload text NOT NULL, at bigint NOT NULL);
CREATE INDEX events_at ON events (at, id);
CREATE TABLE trigger_runs (run_id text PRIMARY KEY, at bigint NOT NULL);

CREATE TABLE blobs (key text PRIMARY KEY, data bytea NOT NULL, size integer NOT NULL);
