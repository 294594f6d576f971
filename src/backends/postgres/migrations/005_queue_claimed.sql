-- taskapp PostgreSQL schema, version 5: claimed queue rows by claim token. A claim finishes earlier
-- claims, and the one-round-trip start reads its own claim, by token (claimed_by): without this
-- index each of those read the whole queue, a cost per claim that grew with the queue's depth.
-- Partial: only claimed rows (few, between a claim and the next) are in it.
CREATE INDEX queue_claimed ON queue (claimed_by) WHERE claimed_by IS NOT NULL;
