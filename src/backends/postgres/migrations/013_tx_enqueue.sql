-- taskapp PostgreSQL schema, version 13: enqueue inside the caller's own transaction (issue 22).
-- enqueue_invocations is the one definition of the transactional enqueue: task.call(args, { tx })
-- calls it on the user's client, and call() below (for SQL, other languages, triggers) calls it too.
-- It writes what the hot path's enqueue writes (src/backends/postgres/state.ts INSERT, broker.ts
-- ROUTE: invocation REGISTERED, its first history entry, its queue entry, a NOTIFY), so the rows
-- commit or roll back with the caller's, and runners are woken only by the COMMIT (NOTIFY is
-- transactional). test/unit/backends/postgres/tx-enqueue.test.ts compares its rows with the hot
-- path's. `SET search_path FROM CURRENT`: it finds taskapp's tables whatever the caller's path.
--
-- Idempotent ids never abort the caller's transaction: an id already stored (or being stored by
-- another open transaction, which ON CONFLICT waits for) is returned with reused = true.
CREATE FUNCTION enqueue_invocations(
  p_ids text[], p_task_ids text[], p_args text[], p_priorities smallint[], p_parent_ids text[],
  p_workflow_ids text[], p_now bigint, p_reg_keys text[], p_running_keys text[],
  p_concurrency text[], p_call_options text[], p_not_before bigint[])
RETURNS TABLE (id text, reused boolean) LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  n int := coalesce(array_length(p_ids, 1), 0);
  k int;
  hit text;
  out_ids text[] := '{}';
  out_reused boolean[] := '{}';
  keyed jsonb := '{}';
  stored boolean;
  any_stored boolean := false;
BEGIN
  -- Registration keys: the hot path's locks (db.ts LOCK_KEYS, same lock space, hash order), held
  -- until the caller's COMMIT, so the look-up below and the insert are one step per key.
  PERFORM pg_advisory_xact_lock(hashtext('taskapp.' || current_schema() || '.reg'), h)
  FROM (SELECT DISTINCT hashtext(rk) AS h FROM unnest(p_reg_keys) AS rk WHERE rk IS NOT NULL ORDER BY 1) s;
  FOR k IN 1 .. n LOOP
    hit := NULL;
    IF p_reg_keys[k] IS NOT NULL THEN
      hit := keyed ->> p_reg_keys[k];
      IF hit IS NULL THEN
        SELECT i.id INTO hit FROM invocations i
        WHERE i.reg_key = p_reg_keys[k] AND i.status = 'REGISTERED' LIMIT 1;
      END IF;
    END IF;
    IF hit IS NOT NULL THEN
      out_ids := out_ids || hit;
      out_reused := out_reused || true;
      CONTINUE;
    END IF;
    INSERT INTO invocations (id, task_id, args, status, priority, parent_id, workflow_id,
      created_at, updated_at, reg_key, running_key, concurrency, call_options)
    VALUES (p_ids[k], p_task_ids[k], p_args[k], 'REGISTERED', p_priorities[k], p_parent_ids[k],
      p_workflow_ids[k], p_now, p_now, p_reg_keys[k], p_running_keys[k], p_concurrency[k],
      p_call_options[k])
    ON CONFLICT ON CONSTRAINT invocations_pkey DO NOTHING;
    stored := FOUND;
    IF stored THEN
      INSERT INTO history (inv_id, status, runner_id, at) VALUES (p_ids[k], 'REGISTERED', NULL, p_now);
      INSERT INTO queue (inv_id, priority, not_before)
      VALUES (p_ids[k], greatest(0, least(9, p_priorities[k])), coalesce(p_not_before[k], 0));
      any_stored := true;
      IF p_reg_keys[k] IS NOT NULL THEN
        keyed := keyed || jsonb_build_object(p_reg_keys[k], p_ids[k]);
      END IF;
    END IF;
    out_ids := out_ids || p_ids[k];
    out_reused := out_reused || NOT stored;
  END LOOP;
  IF any_stored THEN
    PERFORM pg_notify(current_schema() || '_taskapp', 'q');
  END IF;
  RETURN QUERY SELECT u.id, u.reused FROM unnest(out_ids, out_reused) WITH ORDINALITY AS u(id, reused, ord) ORDER BY u.ord;
END $$;

-- An invocation id like the TypeScript one (core/ids.ts): a UUID version 7 (time-ordered).
CREATE FUNCTION new_invocation_id() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12)
  FROM (SELECT lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
    || substr(r, 14, 3) || substr(r, 17, 16) AS h
    FROM (SELECT replace(gen_random_uuid()::text, '-', '') AS r) x) y
$$;

-- What SQL callers cannot compute, declared by every runner at start for the tasks it knows
-- (src/runtime/tx-enqueue.ts): the task's priority, and its registration key and running control
-- when they do not depend on the arguments (TASK scope, rate limits). A task whose keys do depend on
-- them (ARGUMENTS, KEYS) has `refused` set: call() raises instead of storing a call that would skip
-- its limits.
CREATE TABLE sql_tasks (
  task_id      text PRIMARY KEY,
  priority     smallint NOT NULL,
  reg_key      text,
  running_key  text,
  concurrency  text,
  refused      text,
  declared_at  bigint NOT NULL
);

-- One call from SQL: SELECT taskapp.call('send_email', '{"orderId": 42}') in any transaction or
-- trigger. Arguments are the task's arguments as a JSON object; priority NULL: the task's. The task
-- must have been declared by a runner (sql_tasks), which also guards its concurrency limits.
CREATE FUNCTION call(task text, args jsonb DEFAULT '{}', priority integer DEFAULT NULL,
  run_at timestamptz DEFAULT NULL, id text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  t sql_tasks;
  got text;
BEGIN
  IF task IS NULL OR task = '' THEN
    RAISE EXCEPTION 'taskapp call(): task must be a task name, got %', coalesce(quote_literal(task), 'NULL')
      USING HINT = 'SELECT call(''send_email'', ''{"orderId": 42}'')';
  END IF;
  SELECT * INTO t FROM sql_tasks s WHERE s.task_id = task;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'taskapp call(%): no runner has declared this task in schema %', task, current_schema()
      USING HINT = 'check the name; runners declare the tasks they know when they start: start one that registers it';
  END IF;
  IF t.refused IS NOT NULL THEN
    RAISE EXCEPTION 'taskapp call(%): %', task, t.refused
      USING HINT = 'call it from TypeScript inside your transaction: task.call(args, { tx: client })';
  END IF;
  IF jsonb_typeof(args) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'taskapp call(%): args must be a JSON object, got %', task, coalesce(jsonb_typeof(args), 'NULL')
      USING HINT = 'pass the arguments by name: ''{"orderId": 42}''::jsonb';
  END IF;
  IF priority IS NOT NULL AND (priority < 0 OR priority > 9) THEN
    RAISE EXCEPTION 'taskapp call(%): priority % is not an integer from 0 to 9', task, priority
      USING HINT = 'pass priority => 5, or leave it out for the task''s';
  END IF;
  SELECT e.id INTO got FROM enqueue_invocations(
    ARRAY[coalesce(call.id, new_invocation_id())], ARRAY[task], ARRAY[args::text],
    ARRAY[coalesce(priority, t.priority)]::smallint[], ARRAY[NULL]::text[], ARRAY[NULL]::text[], now_ms,
    ARRAY[t.reg_key], ARRAY[t.running_key], ARRAY[t.concurrency], ARRAY[NULL]::text[],
    ARRAY[CASE WHEN run_at IS NULL OR run_at <= clock_timestamp() THEN 0
      ELSE (extract(epoch FROM run_at) * 1000)::bigint END]) e;
  RETURN got;
END $$;

-- An event for event triggers (app.emit), from SQL or with { tx }: the payload as JSON. Runners
-- scan events by time (triggers/scheduler.ts, a few seconds of overlap for late commits), so the
-- event takes its time at the caller's COMMIT, not at emit(): it is inserted with a negative
-- placeholder and the deferred trigger below, which runs as the transaction commits, stamps it.
CREATE FUNCTION emit(code text, payload jsonb DEFAULT '{}', id text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
  ev text := coalesce(emit.id, gen_random_uuid()::text);
BEGIN
  IF code IS NULL OR code = '' OR code LIKE 'taskapp.%' THEN
    RAISE EXCEPTION 'taskapp emit(): event code % is empty or reserved (taskapp.*)', coalesce(quote_literal(code), 'NULL')
      USING HINT = 'use a code such as ''order.paid''';
  END IF;
  INSERT INTO events (id, code, payload, at)
  VALUES (ev, code, coalesce(payload, 'null'::jsonb)::text, -1);
  RETURN ev;
END $$;

CREATE FUNCTION stamp_committed_event() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE events SET at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint WHERE id = NEW.id;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER events_stamp_at_commit AFTER INSERT ON events
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.at < 0)
EXECUTE FUNCTION stamp_committed_event();
