-- Triggers paused at run time (`taskapp trigger pause NAME`); a row means paused.
CREATE TABLE trigger_paused (trigger_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
