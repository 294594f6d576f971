-- Concurrency control: registration keys, running scopes and rate-limit start times.
ALTER TABLE invocations ADD COLUMN reg_key TEXT;
ALTER TABLE invocations ADD COLUMN running_key TEXT;
ALTER TABLE invocations ADD COLUMN concurrency TEXT;
CREATE INDEX invocations_reg_key ON invocations (reg_key) WHERE reg_key IS NOT NULL AND status = 'REGISTERED';
CREATE INDEX invocations_running_key ON invocations (running_key, status) WHERE running_key IS NOT NULL;
CREATE TABLE rate_starts (key TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX rate_starts_key ON rate_starts (key, at);
