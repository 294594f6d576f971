-- taskapp PostgreSQL schema, version 16: who owns what, one row per batch (issue 17). `owned` (012)
-- kept a row per owned invocation: a start inserted it (heap and primary key) and the finish deleted
-- it, a quarter of the hot path's WAL records. A row here names an owner and the ids it took in one
-- statement (a claim of many is one row); a finish writes nothing. A row is a list of candidates:
-- readers keep the ids whose invocation still has that owner and an owned status, and rows none of
-- whose ids do are deleted by the owner's next reconciliation, or by recovery once the owner is gone
-- (src/backends/postgres/owned.ts). `at`: when the row's statement gave the owners (its `now`): an
-- invocation unchanged since T is in a row written at or before T (recovery's stale look).
CREATE TABLE owned_sets (
  seq   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner text NOT NULL,
  at    bigint NOT NULL,
  ids   text[] NOT NULL
);
CREATE INDEX owned_sets_owner ON owned_sets (owner);
CREATE INDEX owned_sets_at ON owned_sets (at);
-- Rows of 012 carry no time: 0, read by every stale look until they are pruned.
INSERT INTO owned_sets (owner, at, ids)
SELECT owner, 0, array_agg(inv_id ORDER BY inv_id) FROM owned GROUP BY owner;
DROP TABLE owned;
