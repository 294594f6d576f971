-- The outbox (README, "Transactional enqueue"): calls written by app.outbox(client) in the app's own
-- transaction, in the app's own PostgreSQL database, and moved to taskapp's backend by one runner's
-- relay (src/runtime/outbox.ts), which deletes each row in the transaction that read it. Runs with
-- search_path set to the outbox schema ([outbox] schema); idempotent, applied under a lock.
CREATE TABLE IF NOT EXISTS outbox (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The invocation id (or event id) the relay creates: a second relay of the same row (its relay
  -- died before deleting it) finds that invocation and stores nothing.
  id         text NOT NULL UNIQUE,
  kind       text NOT NULL CHECK (kind IN ('call')),
  -- The task's name.
  name       text NOT NULL,
  -- The arguments, serialized by taskapp's serializer.
  body       text NOT NULL,
  -- Call options as JSON (priority, runAt/expiresAt as epoch ms, timeoutMs); NULL: none.
  options    text,
  created_at bigint NOT NULL
);
