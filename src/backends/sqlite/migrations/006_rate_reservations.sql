-- taskapp SQLite schema, version 6: a rate-limited invocation's reserved slot is a start row that
-- names it (invocation_id), so it runs there without being counted again; plain starts name none.
ALTER TABLE rate_starts ADD COLUMN invocation_id TEXT;
