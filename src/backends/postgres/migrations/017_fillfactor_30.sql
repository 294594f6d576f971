-- taskapp PostgreSQL schema, version 17: invocations keep 70 % of each page free (was 50 %, 011).
-- A start and a finish are HOT only when the page has room for the row's new version; with half a
-- page free, a quarter of the updates in `npm run bench` found none (n_tup_hot_upd / n_tup_upd
-- 0.74) and wrote a new entry into every index instead. At 30: 0.97, WAL records per invocation
-- 12.5 -> 10.5, buffers touched 32 -> 28 (20,000 invocations, C=50). The price is space: a page
-- holds fewer rows, about 1.7x the pages of 50 for the same rows. Applies to pages filled from now on.
ALTER TABLE invocations SET (fillfactor = 30);
