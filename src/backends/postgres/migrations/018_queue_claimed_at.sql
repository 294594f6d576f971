-- taskapp PostgreSQL schema, version 18: the earliest claim, by index (issue 17). A claim that
-- drains the queue asks when to look again, which includes the oldest claim's expiry
-- (min(claimed_at) of claimed rows); with only queue_claimed (claimed_by) that was a sequential
-- scan of the whole queue table, dead rows included: 291 buffers for a claim that found nothing,
-- and most claims of 4 runners find nothing or one row. Claimed rows are few (those left to the
-- JavaScript path, or claimed by a broker that is not the hot path), so the index costs the hot
-- path nothing: CLAIM_START deletes the rows it starts without marking them.
CREATE INDEX queue_claimed_at ON queue (claimed_at) WHERE claimed_by IS NOT NULL;
