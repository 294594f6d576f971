/**
 * Migrations 011 and 015: status changes are HOT updates (and 016: who owns what, by batch). No index of invocations may read a column
 * that a plain start or finish writes (status, owner, attempt, updated_at, result, finished); the indexes that need the status read
 * generated columns whose status lists must match the code's. A database at version 10 migrates
 * with its rows kept and the generated columns filled in.
 */
import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { migrate } from '../../../../src/backends/postgres/migrate.js';
import { PURGE } from '../../../../src/backends/postgres/orchestrator.js';
import { FINAL_STATUSES, STATUSES } from '../../../../src/core/status.js';
import { ACTIVE_STATUSES } from '../../../../src/orchestration/concurrency.js';
import { describeWithService } from '../../../helpers/services.js';
import {
  migrateTo,
  PG_HOST,
  PG_PORT,
  PG_URL,
  pgScope,
  withSchemaClient,
} from '../../../helpers/postgres.js';
import { openBackends } from '../../../compliance/harness.js';
import { newInv } from '../../../compliance/suites/state.js';

const scope = pgScope('hotupd');

const insertRow = (
  c: pg.Client,
  id: string,
  status: string,
  keys: { reg?: string; run?: string } = {},
) =>
  c.query(
    `INSERT INTO invocations (id, task_id, args, status, owner, reg_key, running_key, created_at, updated_at)
    VALUES ($1, 't', '[]', $2, $3, $4, $5, 1, 1)`,
    [id, status, status === 'RUNNING' ? 'r1' : null, keys.reg ?? null, keys.run ?? null],
  );

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres HOT status changes', () => {
  afterAll(() => scope.cleanup());

  it('indexes none of the columns a status change writes', async () => {
    const schema = scope.next();
    await migrate({ url: PG_URL, schema });
    const defs = await withSchemaClient(schema, async (c) =>
      (
        await c.query<{ def: string }>(
          `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'invocations'::regclass`,
        )
      ).rows.map((r) => r.def),
    );
    expect(defs.length).toBeGreaterThan(0);
    for (const def of defs) {
      // `finished` changes at every finish (migration 015).
      expect(def).not.toMatch(/\b(status|owner|attempt|updated_at|result|error|finished)\b/);
    }
  });

  it('starts and finishes of plain invocations are all HOT updates', async () => {
    const schema = scope.next();
    const b = await openBackends({ backend: 'postgres', postgres: { url: PG_URL, schema } });
    const n = 8;
    try {
      await b.hot.enqueue(
        Array.from({ length: n }, (_, i) => newInv(`h${i}`)),
        Date.now(),
      );
      const started = await b.hot.claimAndStart(n, 0, 'r1');
      expect(started).toHaveLength(n);
      const done = await b.hot.finishAndClaim(
        started.map((r) => ({ id: r.id, to: 'SUCCESS' as const, runnerId: 'r1', result: '1' })),
        0,
        'r1',
      );
      expect(done.done.filter((r) => !(r instanceof Error) && r.status === 'SUCCESS')).toHaveLength(
        n,
      );
    } finally {
      await b.close();
    }
    // A connection sends its table statistics at exit at the latest: read them once all have.
    const counts = () =>
      withSchemaClient(schema, async (c) => {
        return (
          await c.query<{ upd: string; hot: string }>(
            `SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables
            WHERE schemaname = $1 AND relname = 'invocations'`,
            [schema],
          )
        ).rows[0]!;
      });
    let seen = await counts();
    for (let i = 0; i < 100 && Number(seen.upd) < 2 * n; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await counts();
    }
    expect(Number(seen.upd)).toBe(2 * n);
    expect(Number(seen.hot)).toBe(2 * n);
  });

  // Under concurrent claims and finishes old versions are pruned late: at fillfactor 50 a quarter
  // of the updates in `npm run bench` found no room in their page and were not HOT (migration 017).
  it('keeps 70 % of each page of invocations free for the new versions of a start and a finish', async () => {
    const schema = scope.next();
    await migrate({ url: PG_URL, schema });
    const opts = await withSchemaClient(
      schema,
      async (c) =>
        (
          await c.query<{ reloptions: string[] }>(
            `SELECT reloptions FROM pg_class WHERE oid = 'invocations'::regclass`,
          )
        ).rows[0]!.reloptions,
    );
    expect(opts).toEqual(['fillfactor=30']);
  });

  it('derives finished, reg_open and running_open from the statuses the code uses', async () => {
    const schema = scope.next();
    await migrate({ url: PG_URL, schema });
    const rows = await withSchemaClient(schema, async (c) => {
      for (const s of STATUSES) {
        await insertRow(c, s, s, { reg: `reg-${s}`, run: `run-${s}` });
      }
      return (
        await c.query<{
          id: string;
          finished: boolean;
          reg_open: string | null;
          running_open: string | null;
        }>('SELECT id, finished, reg_open, running_open FROM invocations')
      ).rows;
    });
    expect(rows).toHaveLength(STATUSES.length);
    for (const r of rows) {
      const s = r.id as (typeof STATUSES)[number];
      expect(r.finished, s).toBe(FINAL_STATUSES.has(s));
      expect(r.reg_open, s).toBe(s === 'REGISTERED' ? `reg-${s}` : null);
      expect(r.running_open, s).toBe(ACTIVE_STATUSES.has(s) ? `run-${s}` : null);
    }
  });

  it('migrates a version-10 database: rows kept, generated columns filled, owners listed, one REGISTERED per key', async () => {
    const schema = scope.next();
    await withSchemaClient(schema, async (c) => {
      await migrateTo(c, schema, 10);
      await insertRow(c, 'a', 'REGISTERED', { reg: 'k1' });
      await insertRow(c, 'b', 'RUNNING', { run: 'scope' });
      await insertRow(c, 'c', 'SUCCESS', { reg: 'k1', run: 'scope' });
    });
    const result = await migrate({ url: PG_URL, schema });
    expect(result.from).toBe(10);
    expect(result.applied.slice(0, 2)).toEqual(['011_hot_status_changes', '012_owned']);
    await withSchemaClient(schema, async (c) => {
      const { rows } = await c.query(
        'SELECT id, status, owner, finished, reg_open, running_open FROM invocations ORDER BY id',
      );
      expect(rows).toEqual([
        {
          id: 'a',
          status: 'REGISTERED',
          owner: null,
          finished: false,
          reg_open: 'k1',
          running_open: null,
        },
        {
          id: 'b',
          status: 'RUNNING',
          owner: 'r1',
          finished: false,
          reg_open: null,
          running_open: 'scope',
        },
        {
          id: 'c',
          status: 'SUCCESS',
          owner: null,
          finished: true,
          reg_open: null,
          running_open: null,
        },
      ]);
      // Migrations 012 and 016: the invocations with an owner, by owner, for recovery.
      const owned = await c.query('SELECT owner, ids FROM owned_sets');
      expect(owned.rows).toEqual([{ owner: 'r1', ids: ['b'] }]);
      await expect(insertRow(c, 'd', 'REGISTERED', { reg: 'k1' })).rejects.toThrow(
        /invocations_reg_open/,
      );
      // Once the first leaves REGISTERED, the key is free again.
      await c.query(`UPDATE invocations SET status = 'PENDING' WHERE id = 'a'`);
      await insertRow(c, 'd', 'REGISTERED', { reg: 'k1' });
      const open = await c.query<{ id: string }>(
        'SELECT id FROM invocations WHERE NOT finished ORDER BY created_at, seq',
      );
      expect(open.rows.map((r) => r.id)).toEqual(['a', 'b', 'd']);
    });
  });

  it('keeps owned_sets in step: a claim writes one row for its batch, a finish none; reconciliation and recovery delete rows with no work left', async () => {
    const schema = scope.next();
    const b = await openBackends({ backend: 'postgres', postgres: { url: PG_URL, schema } });
    const sets = () =>
      withSchemaClient(
        schema,
        async (c) => (await c.query('SELECT owner, ids FROM owned_sets ORDER BY seq')).rows,
      );
    const owned = ['PENDING', 'RUNNING', 'PAUSED', 'RESUMED'];
    try {
      await b.hot.enqueue([newInv('a'), newInv('b')], Date.now());
      const started = await b.hot.claimAndStart(10, 0, 'r1');
      expect(started.map((r) => [r.id, r.status, r.owner])).toEqual([
        ['a', 'RUNNING', 'r1'],
        ['b', 'RUNNING', 'r1'],
      ]);
      expect(await sets()).toEqual([{ owner: 'r1', ids: ['a', 'b'] }]);
      // Recovery finds them by owner once r1 is not among the live runners.
      const orphans = await b.orchestrator.ownedByOthers(['r2'], ['RUNNING']);
      expect(orphans.map((r) => r.id).sort()).toEqual(['a', 'b']);
      // A checked finish (one round trip) writes nothing here: the row still lists b, in hand.
      const done = await b.hot.finishAndClaim(
        [{ id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '1' }],
        0,
        'r1',
      );
      expect(done.done.map((r) => (r instanceof Error ? r.message : r.status))).toEqual([
        'SUCCESS',
      ]);
      expect((await b.orchestrator.ownedBy('r1', owned)).map((r) => r.id)).toEqual(['b']);
      expect(await sets()).toEqual([{ owner: 'r1', ids: ['a', 'b'] }]);
      // A retry (the JavaScript path) takes b's owner away: recovery finds nothing, and deletes
      // the row of r1 (not alive) that lists no work of r1 any more.
      const retried = await b.hot.transitionAndRoute(
        [{ id: 'b', to: 'RETRY', runnerId: 'r1', error: 'e' }],
        Date.now(),
      );
      expect(retried.map((r) => (r instanceof Error ? r.message : r.status))).toEqual(['RETRY']);
      expect(await b.orchestrator.ownedByOthers(['r2'], ['RUNNING'])).toEqual([]);
      expect(await sets()).toEqual([]);
      // Started again (from RETRY, its queue entry routed with it): listed again, under r2.
      const before = Date.now();
      const again = await b.hot.claimAndStart(10, 0, 'r2');
      expect(again.map((r) => r.id)).toEqual(['b']);
      expect(await sets()).toEqual([{ owner: 'r2', ids: ['b'] }]);
      expect(await b.orchestrator.ownedByOthers(['r2'], ['RUNNING'])).toEqual([]);
      // The stale look reads the rows written before its bound.
      expect(await b.orchestrator.staleIn('RUNNING', before - 1)).toEqual([]);
      expect((await b.orchestrator.staleIn('RUNNING', Date.now() + 1)).map((r) => r.id)).toEqual([
        'b',
      ]);
      // r2 finishes it; its next reconciliation finds nothing and deletes its row.
      await b.hot.finishAndClaim(
        [{ id: 'b', to: 'SUCCESS', runnerId: 'r2', result: '2' }],
        0,
        'r2',
      );
      expect(await sets()).toEqual([{ owner: 'r2', ids: ['b'] }]);
      expect(await b.orchestrator.ownedBy('r2', owned)).toEqual([]);
      expect(await sets()).toEqual([]);
    } finally {
      await b.close();
    }
  });

  it('a version-15 database keeps who owns what: its owned rows become owned_sets rows', async () => {
    const schema = scope.next();
    await withSchemaClient(schema, async (c) => {
      await migrateTo(c, schema, 15);
      await c.query(`INSERT INTO invocations (id, task_id, args, status, owner, attempt, created_at, updated_at)
        VALUES ('x', 't', '[]', 'RUNNING', 'r1', 1, 1, 2), ('y', 't', '[]', 'RUNNING', 'r1', 1, 1, 2)`);
      await c.query(`INSERT INTO owned (inv_id, owner) VALUES ('x', 'r1'), ('y', 'r1')`);
    });
    expect((await migrate({ url: PG_URL, schema })).applied).toContain('016_owned_sets');
    const b = await openBackends({ backend: 'postgres', postgres: { url: PG_URL, schema } });
    try {
      expect((await b.orchestrator.ownedByOthers(['r2'], ['RUNNING'])).map((r) => r.id)).toEqual([
        'x',
        'y',
      ]);
      expect((await b.orchestrator.staleIn('RUNNING', 3)).map((r) => r.id)).toEqual(['x', 'y']);
    } finally {
      await b.close();
    }
  });

  it('retention reads the old finished invocations it deletes, not the whole table', async () => {
    const schema = scope.next();
    await migrate({ url: PG_URL, schema });
    await withSchemaClient(schema, async (c) => {
      // 30,000 finished: the 100 oldest are due, and 50 old ones are still running.
      await c.query(
        `INSERT INTO invocations (id, task_id, args, status, created_at, updated_at)
        SELECT 'i' || g, 't', '[]', CASE WHEN g <= 50 THEN 'RUNNING' ELSE 'SUCCESS' END, g, g
        FROM generate_series(1, 30000) g`,
      );
      await c.query('ANALYZE invocations');
      await c.query('BEGIN');
      const plan = await c.query<Record<string, any>>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${PURGE.text}`,
        [151, null, null, 1000],
      );
      const left = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM invocations');
      await c.query('ROLLBACK');
      expect(left.rows[0]!.n).toBe(30000 - 100);
      const root = plan.rows[0]!['QUERY PLAN'][0];
      const read = scanned(root.Plan).filter((n) => n.relation === 'invocations');
      expect(read.some((n) => n.type === 'Seq Scan')).toBe(false);
      // The due ones and the old running ones, not the 30,000.
      expect(Math.max(...read.map((n) => n.rows))).toBeLessThan(1000);
    });
  });
});

/** Scan nodes that ran in an EXPLAIN (ANALYZE, FORMAT JSON) plan, with the rows each read. */
function scanned(
  node: Record<string, any>,
): Array<{ type: string; relation?: string; rows: number }> {
  const own =
    /Scan/.test(node['Node Type']) && (node['Actual Loops'] ?? 0) > 0
      ? [
          {
            type: node['Node Type'] as string,
            relation: node['Relation Name'] as string | undefined,
            rows: (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0),
          },
        ]
      : [];
  return [...own, ...((node.Plans ?? []) as Array<Record<string, any>>).flatMap(scanned)];
}
