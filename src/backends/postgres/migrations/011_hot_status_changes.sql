-- taskapp PostgreSQL schema, version 11: status changes as HOT updates (issue 17). An UPDATE is HOT
-- (one new row version on the same page, no index entry) only when no indexed column changes, and
-- columns named in partial-index predicates count. Every start changed status, owner and updated_at,
-- all indexed (invocations_status, invocations_owner, and status in the predicates of the
-- registration and running-key indexes): each start and each finish wrote a new entry into every
-- index of the table. Now the indexes that need status read generated columns that stay the same
-- across a plain start (REGISTERED -> RUNNING, no keys): the start is HOT; the finish flips
-- `finished`, so it writes one entry per index, once.
--
-- The status lists below are FINAL_STATUSES and ACTIVE_STATUSES of src/core/status.ts and
-- src/orchestration/concurrency.ts (test/unit/backends/postgres/hot-updates.test.ts checks them).
ALTER TABLE invocations
  ADD COLUMN finished boolean GENERATED ALWAYS AS
    (status IN ('SUCCESS', 'FAILED', 'CONCURRENCY_CONTROLLED_FINAL', 'CANCELLED')) STORED,
  -- The registration key while REGISTERED (a new call with it reuses this invocation), else null.
  ADD COLUMN reg_open text GENERATED ALWAYS AS
    (CASE WHEN status = 'REGISTERED' THEN reg_key END) STORED,
  -- The running scope while the invocation holds a slot of it, else null.
  ADD COLUMN running_open text GENERATED ALWAYS AS
    (CASE WHEN status IN ('PENDING', 'RUNNING', 'PAUSED', 'RESUMED') THEN running_key END) STORED;

DROP INDEX invocations_status;
DROP INDEX invocations_owner;
DROP INDEX invocations_reg_key;
DROP INDEX invocations_running_key;

-- Unfinished invocations (recovery: owned by dead runners, stale, stranded), oldest first. Finished
-- ones older than a date (retention) are found through invocations_created.
CREATE INDEX invocations_open ON invocations (created_at, seq) WHERE NOT finished;
-- At most one REGISTERED invocation per registration key, as invocations_reg_key did.
CREATE UNIQUE INDEX invocations_reg_open ON invocations (reg_open) WHERE reg_open IS NOT NULL;
CREATE INDEX invocations_running_open ON invocations (running_open) WHERE running_open IS NOT NULL;

-- Room on each page for the started versions of its rows: a claim starts a batch of rows inserted
-- together, mostly on one page, in one statement (measured: at 70 about half the starts were HOT,
-- at 50 all, and the table was no larger, as non-HOT updates leave dead versions behind too).
-- New pages only; existing ones keep theirs.
ALTER TABLE invocations SET (fillfactor = 50);
