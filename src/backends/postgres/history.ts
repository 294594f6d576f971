/**
 * History kept in the invocation's own row (migration 014): `invocations.hist`, one text element
 * per status change, `<at>,<STATUS>,<runner id or empty>`, appended by the same UPDATE that
 * changes the status. A row per change in `history` cost a heap insert, an index insert and an
 * identity value each, three times per invocation; an array element costs nothing the UPDATE
 * was not already writing (the column is in no index, so a start or finish stays HOT).
 *
 * Rows that versions before 14 wrote to `history` are read before the array's entries: an
 * invocation started under an older version goes on under this one, never the other way round
 * except while both run (a rolling upgrade), when its entries from the two may interleave.
 */
import { stmt } from './db.js';

/** SQL for one entry: `at` (bigint), `status` and `runner` (text, null for none) are SQL expressions. */
export const histEntry = (at: string, status: string, runner: string): string =>
  `(${at})::text || ',' || (${status}) || ',' || coalesce(${runner}, '')`;

/** SQL appending entries (a text[] expression) to the row's history: `hist = ${appendHist(...)}`. */
export const appendHist = (row: string, entries: string): string => `${row}.hist || ${entries}`;

// The runner id is what follows the second comma, whole (an id may hold commas itself).
const FROM_ARRAY = `SELECT i.id AS inv_id, split_part(e.v, ',', 2) AS status,
    nullif(substr(e.v, length(split_part(e.v, ',', 1)) + length(split_part(e.v, ',', 2)) + 3), '') AS runner_id,
    split_part(e.v, ',', 1)::bigint AS at, 1 AS src, e.n AS n1, 0::bigint AS n2
  FROM invocations i CROSS JOIN LATERAL unnest(i.hist) WITH ORDINALITY AS e(v, n)`;
// A legacy row holds one status, or several changes made together, comma-separated in order.
const FROM_TABLE = `SELECT h.inv_id, s.status, h.runner_id, h.at, 0 AS src, h.seq AS n1, s.n AS n2
  FROM history h CROSS JOIN LATERAL unnest(string_to_array(h.status, ',')) WITH ORDINALITY AS s(status, n)`;

export const HISTORY = stmt(
  'history',
  `SELECT status, runner_id, at FROM (${FROM_TABLE} WHERE h.inv_id = $1
    UNION ALL ${FROM_ARRAY} WHERE i.id = $1) x ORDER BY src, n1, n2`,
);
export const HISTORY_MANY = stmt(
  'history_many',
  `SELECT inv_id, status, runner_id, at FROM (${FROM_TABLE} WHERE h.inv_id = ANY($1::text[])
    UNION ALL ${FROM_ARRAY} WHERE i.id = ANY($1::text[])) x ORDER BY inv_id, src, n1, n2`,
);
