-- taskapp PostgreSQL schema, version 6: history without its primary key on seq. Every read and
-- delete of history goes by invocation (history_inv (inv_id, seq), which also orders it), and each
-- status change writes a history row: the unused key index cost one index insert per change.
-- seq stays (identity: unique by construction, the order within an invocation).
ALTER TABLE history DROP CONSTRAINT IF EXISTS history_pkey;
