-- taskapp PostgreSQL schema, version 15: finishes are HOT updates too (issue 17). The partial index
-- invocations_open (011) read `finished`, so every finish wrote a new entry into each index of the
-- table (primary key, task, created: three index inserts and their WAL per invocation). What it
-- served now reads the table instead: recovery's look for invocations stranded in a queued status
-- (a heap scan, once per `stranded_after_seconds`, by the one runner holding the recovery lease;
-- on PostgreSQL alone a status and its queue row are written in one transaction, so it finds
-- nothing there), and the work of dead runners goes through `owned` (012).
DROP INDEX invocations_open;
