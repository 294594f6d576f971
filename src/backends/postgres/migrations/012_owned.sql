-- taskapp PostgreSQL schema, version 12: invocations with an owner, by owner (issue 17). Recovery
-- looks for the work of dead runners here (src/backends/postgres/owned.ts keeps it in step): the
-- index on invocations.owner that did this is gone (011), as setting the owner at each start
-- rewrote every index entry of the row.
CREATE TABLE owned (
  inv_id text PRIMARY KEY,
  owner  text NOT NULL
);
INSERT INTO owned (inv_id, owner)
SELECT id, owner FROM invocations WHERE owner IS NOT NULL AND NOT finished;
