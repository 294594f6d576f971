/**
 * The `owned_sets` table (migration 016): who owns what, one row per statement that gave
 * invocations an owner (a claim of many is one row). Recovery and reconciliation find a runner's
 * work there, in a table as small as the work in hand, instead of through an index on
 * invocations.owner: such an index would make every start, which sets the owner, a non-HOT update
 * (migration 011). A row lists candidates: an id counts while its invocation still has that owner
 * and an owned status, so a finish, which takes the owner away, writes nothing here. Every
 * statement that gives invocations an owner adds its row in the same statement: CLAIM_START
 * (hot-path.ts), CHECKED (checked.ts), WRITE (orchestrator.ts). Rows none of whose ids still count
 * are deleted by the owner's reconciliation (OWNED_BY) or, once the owner is gone, by recovery
 * (OWNED_BY_OTHERS): both in orchestrator.ts.
 */
import { OWNED_STATUSES } from '../../core/status.js';
import { sqlList } from '../common/sql-dialect.js';

/** The owned statuses as a SQL array literal: an owner counts only while its invocation is in one. */
const OWNED_SQL = `ARRAY[${sqlList(OWNED_STATUSES)}]`;

/**
 * A CTE (`own_set`) that records the owners the rows of CTE `changed` (columns id, owner) have
 * after a statement at `now` (a SQL expression): one owned_sets row per owner. A change within
 * owned statuses adds a row the row of its first start already covers: redundant, and harmless
 * (readers go by id).
 */
export const syncOwned = (changed: string, now: string): string =>
  `own_set AS (INSERT INTO owned_sets (owner, at, ids)
    SELECT owner, ${now}, array_agg(id) FROM ${changed} WHERE owner IS NOT NULL GROUP BY owner)`;

/** The ids listed in the rows that pass `test` (a condition on owned_sets' owner and at), as an array. */
export const ownedIds = (test: string): string =>
  `ARRAY(SELECT unnest(ids) FROM owned_sets WHERE ${test})`;

/**
 * A CTE (`own_pruned`) deleting the rows of owners `ownerTest` none of whose ids still has that
 * owner in an owned status. A row inserted by a transaction not yet committed is not seen, and
 * one committed holds ids that count: a row is never deleted while it lists work in hand.
 */
export const pruneOwned = (ownerTest: string): string =>
  `own_pruned AS (DELETE FROM owned_sets s WHERE ${ownerTest} AND NOT EXISTS (
    SELECT 1 FROM invocations i WHERE i.id = ANY(s.ids) AND i.owner = s.owner
      AND (i.status || '') = ANY(${OWNED_SQL})))`;
