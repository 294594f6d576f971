-- taskapp PostgreSQL schema, version 2: concurrency control, paused triggers, task logs (monitor).

-- Registration key (a new call matching a REGISTERED invocation reuses it), running scope and the
-- copied ConcurrencyControl (JSON). At most one REGISTERED invocation per registration key: the
-- insert serializes on the key, and this index makes a second one impossible regardless.
ALTER TABLE invocations ADD COLUMN reg_key text, ADD COLUMN running_key text, ADD COLUMN concurrency text;
CREATE UNIQUE INDEX invocations_reg_key ON invocations (reg_key) WHERE reg_key IS NOT NULL AND status = 'REGISTERED';
CREATE INDEX invocations_running_key ON invocations (running_key, status) WHERE running_key IS NOT NULL;
-- an invocation's children (list({ parentId }))
CREATE INDEX invocations_parent ON invocations (parent_id) WHERE parent_id IS NOT NULL;

-- Start times of rate-limited scopes; pruned to the window at each start.
CREATE TABLE rate_starts (key text NOT NULL, at bigint NOT NULL);
CREATE INDEX rate_starts_key ON rate_starts (key, at);

-- Triggers paused at run time (`taskapp trigger pause NAME`); a row means paused.
CREATE TABLE trigger_paused (trigger_id text PRIMARY KEY, at bigint NOT NULL);

-- Task log lines kept for the monitor ([monitor] keep_logs).
CREATE TABLE logs (
  seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  inv_id  text NOT NULL,
  at      bigint NOT NULL,
  level   text NOT NULL,
  message text NOT NULL,
  fields  text NOT NULL
);
CREATE INDEX logs_inv ON logs (inv_id, seq);
