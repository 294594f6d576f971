-- taskapp PostgreSQL schema, version 10: per-call limits (issue 19: task.call(args, { timeoutMs })) as
-- JSON text, set at insert and read by the runner with the claimed record. NULL: none.
ALTER TABLE invocations ADD COLUMN call_options text;
