/**
 * `--preload N`: N finished (SUCCESS) invocations with their four history entries stored before the run,
 * created by a few set-based statements (not through the app: a million rows in seconds), as a
 * deployment that has run for a while would hold them. Their times lie a week back.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

const PATH = ['REGISTERED', 'PENDING', 'RUNNING', 'SUCCESS'];
const WEEK_MS = 7 * 86_400_000;
/** Rows per statement: bounded so neither server nor driver holds the whole preload at once. */
const CHUNK = 100_000;

export async function preloadPostgres(c: pg.Client, taskId: string, n: number): Promise<void> {
  const t0 = Date.now() - WEEK_MS;
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK) - 1;
    // Stored as the hot path stores them: a small REGISTERED row that then grows in place to its
    // finished size (history in the row, postgres/history.ts). Rows written at their final size at
    // once fill each page to the fillfactor with room for one more small row, so every later
    // enqueue lands on a different cold page (1,000 pages read and dirtied per 1,000 rows), a state
    // no deployment's table is in.
    await c.query(
      `INSERT INTO invocations (id, task_id, args, status, priority, created_at, updated_at, hist)
      SELECT 'pre-' || g, $1, '{"x":' || g || ',"y":1}', 'REGISTERED', 5, $2::bigint + g, $2::bigint + g,
        ARRAY[($2::bigint + g)::text || ',REGISTERED,']
      FROM generate_series($3::int, $4::int) g`,
      [taskId, t0, from, to],
    );
    await c.query(
      `UPDATE invocations SET status = 'SUCCESS', owner = 'preload', attempt = 1, result = '1',
        updated_at = created_at + 2,
        hist = ARRAY(SELECT (created_at + s.n - 1)::text || ',' || s.status || ',preload'
          FROM unnest($3::text[]) WITH ORDINALITY AS s(status, n))
      WHERE id = ANY(ARRAY(SELECT 'pre-' || g FROM generate_series($1::int, $2::int) g))`,
      [from, to, PATH],
    );
  }
  await c.query('VACUUM ANALYZE invocations');
  // The preload's dirty pages written out now, not by a checkpoint during the run (whose first
  // touch of each page would then log a full page image, a cost of the preload, not of the run).
  await c.query('CHECKPOINT').catch(() => {});
}

export function preloadSqlite(db: Database.Database, taskId: string, n: number): void {
  const t0 = Date.now() - WEEK_MS;
  const inv = db.prepare(
    `INSERT INTO invocations (id, task_id, args, status, owner, attempt, priority, result, created_at, updated_at)
    VALUES (?, ?, ?, 'SUCCESS', 'preload', 1, 5, '1', ?, ?)`,
  );
  const hist = db.prepare(
    'INSERT INTO history (inv_id, status, runner_id, at) VALUES (?, ?, ?, ?)',
  );
  for (let from = 0; from < n; from += CHUNK) {
    db.transaction(() => {
      for (let g = from; g < Math.min(n, from + CHUNK); g++) {
        const id = `pre-${g}`;
        inv.run(id, taskId, `{"x":${g},"y":1}`, t0 + g, t0 + g + 2);
        PATH.forEach((s, k) => hist.run(id, s, 'preload', t0 + g + k));
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
}
