-- taskapp PostgreSQL schema, version 9: paused tasks (issue 19, item 5). A paused task's queue
-- entries wait in parked_queue until resume moves them back. Pausing moves the task's rows in one
-- transaction (src/backends/postgres/pauses.ts); a row routed to a paused task afterwards (a new
-- call, a retry, a reroute, recovery) is moved by the statement trigger below, in the transaction
-- that inserts it, so no claim statement changes and no claim ever takes a paused task's row.
CREATE TABLE paused_tasks (
  task_id   text PRIMARY KEY,
  paused_at bigint NOT NULL
);
CREATE TABLE parked_queue (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_id    text NOT NULL,
  inv_id     text NOT NULL,
  priority   smallint NOT NULL,
  not_before bigint NOT NULL DEFAULT 0
);
CREATE INDEX parked_queue_task ON parked_queue (task_id, seq);
CREATE INDEX parked_queue_inv ON parked_queue (inv_id);

-- Once per INSERT statement on queue, not per row: with no paused task (the usual case) it costs one
-- shared advisory lock and one look at an empty table. The shared lock orders it against a pause
-- (which takes the lock exclusively): an insert that committed before the pause is moved by the
-- pause; one after it sees the paused row here (READ COMMITTED: a snapshot per statement).
CREATE FUNCTION park_paused_entries() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtext('taskapp.pause.' || current_schema()));
  IF NOT EXISTS (SELECT 1 FROM paused_tasks) THEN
    RETURN NULL;
  END IF;
  WITH moved AS (
    DELETE FROM queue q USING new_rows n, invocations i, paused_tasks p
    WHERE q.seq = n.seq AND i.id = n.inv_id AND p.task_id = i.task_id
    RETURNING i.task_id, q.inv_id, q.priority, q.not_before, q.seq)
  INSERT INTO parked_queue (task_id, inv_id, priority, not_before)
  SELECT task_id, inv_id, priority, not_before FROM moved ORDER BY seq;
  RETURN NULL;
END $$;

CREATE TRIGGER queue_park_paused AFTER INSERT ON queue
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION park_paused_entries();
