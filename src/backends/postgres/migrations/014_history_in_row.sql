-- taskapp PostgreSQL schema, version 14: history in the invocation's own row (issue 17). Each
-- status change appends `<at>,<STATUS>,<runner>` to invocations.hist in the UPDATE that makes it
-- (src/backends/postgres/history.ts), instead of inserting a `history` row: three rows, three index
-- entries and three identity values less per invocation. `history` keeps what older versions
-- wrote and is read before the array. Adding a column with a constant default rewrites nothing.
ALTER TABLE invocations ADD COLUMN hist text[] NOT NULL DEFAULT '{}';

-- The transactional enqueue (013) writes the first entry the same way. Only the INSERT changes.
CREATE OR REPLACE FUNCTION enqueue_invocations(
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
      created_at, updated_at, reg_key, running_key, concurrency, call_options, hist)
    VALUES (p_ids[k], p_task_ids[k], p_args[k], 'REGISTERED', p_priorities[k], p_parent_ids[k],
      p_workflow_ids[k], p_now, p_now, p_reg_keys[k], p_running_keys[k], p_concurrency[k],
      p_call_options[k], ARRAY[p_now::text || ',REGISTERED,'])
    ON CONFLICT ON CONSTRAINT invocations_pkey DO NOTHING;
    stored := FOUND;
    IF stored THEN
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
