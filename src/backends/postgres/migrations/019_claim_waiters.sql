-- taskapp PostgreSQL schema, version 19: wake one idle claimer per single enqueue (issue 17).
-- PostgreSQL delivers a NOTIFY to every listener, and every runner woken by `q` claims: with four
-- runners, three of the four claims after a single call found nothing, and a single call cost 1.8x
-- the server CPU it costs with one runner. Now each LISTEN session keeps a row here and holds the
-- session advisory lock (hashtext(schema), listener) while it lives. `since` is set while its
-- process's last claim left the queue empty (it has free slots and waits for a wake-up); `busy`:
-- that claim took some. A single new ready item names, in its NOTIFY (`q` + listener), one live
-- waiting listener, and the others ignore it. With none (every claimer busy, or none alive), the
-- NOTIFY stays `q` and wakes every claimer, as before.
CREATE TABLE claim_waiters (
  listener integer PRIMARY KEY,
  since timestamptz,
  busy boolean NOT NULL DEFAULT false
) WITH (fillfactor = 50);

-- The listener to wake, other than `except_listener`: alive (its advisory lock is held; the try
-- takes the lock of a dead one, for this transaction only), waiting, and seen in the last 15 s (a
-- waiting claimer looks again every 5 s: claim-waiters.ts IDLE_RECHECK_MS; an older row is a
-- process that stopped without closing its connection, or whose event loop is blocked). Those
-- that found nothing come first; among each kind the most recent, whose caches are warm.
CREATE FUNCTION idle_claimer(except_listener integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  chosen integer;
BEGIN
  SELECT w.listener INTO chosen FROM claim_waiters w
  WHERE w.since > statement_timestamp() - interval '15 seconds'
    AND w.listener IS DISTINCT FROM except_listener
    AND NOT pg_try_advisory_xact_lock(hashtext(current_schema()), w.listener)
  ORDER BY w.busy, w.since DESC LIMIT 1;
  RETURN chosen;
END
$$;

-- The payload announcing `items` new ready queue rows: one wakes one waiting claimer, more wake all.
CREATE FUNCTION queue_wake(items integer) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF items = 1 THEN
    RETURN 'q' || coalesce(idle_claimer(NULL)::text, '');
  END IF;
  RETURN 'q';
END
$$;
