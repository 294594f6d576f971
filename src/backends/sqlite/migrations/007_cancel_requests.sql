-- Cancel requests for runners in other processes (CancelSignals): a runner reads the rows after
-- the last one it saw whenever PRAGMA data_version says another connection wrote. Old rows are
-- deleted by the next publisher.
CREATE TABLE cancel_requests (
  seq    INTEGER PRIMARY KEY AUTOINCREMENT,
  inv_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  at     INTEGER NOT NULL
);
CREATE INDEX cancel_requests_at ON cancel_requests (at);
