-- taskapp PostgreSQL schema: the queue without its primary key on seq. A claim finds the rows it
-- locked again by ctid, and every other read goes by claim token (queue_claimed) or by order
-- (queue_order, which holds seq): the key index cost an insert at each enqueue and at each claim.
-- seq stays (identity: unique by construction, the order among equal priorities).
ALTER TABLE queue DROP CONSTRAINT IF EXISTS queue_pkey;
