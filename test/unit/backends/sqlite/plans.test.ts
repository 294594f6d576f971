/**
 * Look-ups by id stay look-ups by id however many finished invocations are stored: SQLite has no
 * statistics by default, and a status test it may serve from the status index would read every
 * finished invocation instead.
 */
import { afterAll, expect, it } from 'vitest';
import { SqliteDb } from '../../../../src/backends/sqlite/db.js';
import { FINAL_AMONG_IDS } from '../../../../src/backends/sqlite/state.js';

const d = new SqliteDb({ path: ':memory:', busyTimeoutMs: 1000, pollIntervalMs: 100 });
afterAll(() => d.db.close());

it('reads the finished ones among given ids by primary key, not through the status index', () => {
  // Hundreds of ids at once, as a watch on a large group asks: SQLite then prefers the status index.
  const many = Array.from({ length: 500 }, (_, i) => `x${i}`);
  const plan = d.db
    .prepare(
      `EXPLAIN QUERY PLAN SELECT * FROM invocations WHERE id IN (${many.map(() => '?').join(',')})${FINAL_AMONG_IDS}`,
    )
    .all(...many)
    .map((r) => (r as { detail: string }).detail)
    .join('\n');
  expect(plan).not.toMatch(/invocations_status/);
  expect(plan).toMatch(/sqlite_autoindex_invocations_1|PRIMARY KEY/);
  d.db
    .prepare(
      `INSERT INTO invocations (id, task_id, args, status, created_at, updated_at) VALUES
      ('a', 't', '[]', 'SUCCESS', 1, 1), ('b', 't', '[]', 'RUNNING', 1, 1), ('c', 't', '[]', 'FAILED', 1, 1)`,
    )
    .run();
  const ids = d.db
    .prepare(`SELECT * FROM invocations WHERE id IN (?, ?, ?)${FINAL_AMONG_IDS}`)
    .all('a', 'b', 'c')
    .map((r) => (r as { id: string }).id)
    .sort();
  expect(ids).toEqual(['a', 'c']);
});
