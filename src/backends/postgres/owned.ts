/**
 * The `owned` table (migration 012): one row per invocation that has an owner, with that owner.
 * Recovery finds the work of dead runners there, in a table as small as the work in hand, instead
 * of through an index on invocations.owner: such an index would make every start, which sets the
 * owner, a non-HOT update (migration 011). Every statement that writes invocations.owner keeps it
 * in step, in the same statement: CLAIM_START (hot-path.ts), CHECKED (checked.ts), WRITE
 * (orchestrator.ts).
 */

/**
 * CTEs that bring `owned` in line with the rows of CTE `changed` (columns id, owner: the owner each
 * invocation has now): no owner, no row; else a row naming it.
 */
export const syncOwned = (changed: string): string =>
  `own_gone AS (DELETE FROM owned o WHERE o.inv_id = ANY(ARRAY(SELECT id FROM ${changed} WHERE owner IS NULL))),
  own_set AS (INSERT INTO owned (inv_id, owner) SELECT id, owner FROM ${changed} WHERE owner IS NOT NULL
    ON CONFLICT (inv_id) DO UPDATE SET owner = excluded.owner WHERE owned.owner <> excluded.owner)`;
