/**
 * Migration 014: each status change is kept in the invocation's own row (invocations.hist), written
 * by the statement that makes the change, instead of a `history` row. What older versions wrote to
 * `history` is still read, before the row's own entries.
 */
import { afterAll, expect, it } from 'vitest';
import { migrate } from '../../../../src/backends/postgres/migrate.js';
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

const scope = pgScope('histrow');

const historyRows = (schema: string) =>
  withSchemaClient(
    schema,
    async (c) =>
      (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM history')).rows[0]!.n,
  );

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres history in the row', () => {
  afterAll(() => scope.cleanup());

  it('every path writes its changes into the row, none into the history table', async () => {
    const schema = scope.next();
    const b = await openBackends({ backend: 'postgres', postgres: { url: PG_URL, schema } });
    // A runner id may hold the separator itself.
    const runner = 'host,1';
    try {
      await b.hot.enqueue([newInv('a'), newInv('b')], Date.now());
      // One round trip (CLAIM_START), then a checked finish and a routed retry (the JavaScript path).
      expect((await b.hot.claimAndStart(10, 0, runner)).map((r) => r.id)).toEqual(['a', 'b']);
      await b.hot.finishAndClaim(
        [{ id: 'a', to: 'SUCCESS', runnerId: runner, result: '1' }],
        0,
        runner,
      );
      await b.hot.transitionAndRoute(
        [{ id: 'b', to: 'RETRY', runnerId: runner, error: 'e' }],
        Date.now(),
      );
      const path = (entries: Array<{ status: string; runnerId: string | null }>) =>
        entries.map((e) => `${e.status}:${e.runnerId ?? '-'}`);
      expect(path(await b.state.history('a'))).toEqual([
        'REGISTERED:-',
        'PENDING:host,1',
        'RUNNING:host,1',
        'SUCCESS:host,1',
      ]);
      const many = await b.state.historyMany(['a', 'b']);
      expect(path(many.b!)).toEqual([
        'REGISTERED:-',
        'PENDING:host,1',
        'RUNNING:host,1',
        'RETRY:host,1',
      ]);
      expect(path(many.a!)).toEqual(path(await b.state.history('a')));
      expect(await historyRows(schema)).toBe(0);
    } finally {
      await b.close();
    }
  });

  it('a version-13 database keeps its history rows, read before the entries written after the upgrade', async () => {
    const schema = scope.next();
    await withSchemaClient(schema, async (c) => {
      await migrateTo(c, schema, 13);
      // Started by a version-13 runner: its rows in `history`, the start as one 'PENDING,RUNNING' row.
      await c.query(`INSERT INTO invocations (id, task_id, args, status, owner, attempt, created_at, updated_at)
        VALUES ('old', 't', '[]', 'RUNNING', 'r1', 1, 1, 2)`);
      await c.query(`INSERT INTO owned (inv_id, owner) VALUES ('old', 'r1')`);
      await c.query(`INSERT INTO history (inv_id, status, runner_id, at)
        VALUES ('old', 'REGISTERED', NULL, 1), ('old', 'PENDING,RUNNING', 'r1', 2)`);
    });
    expect((await migrate({ url: PG_URL, schema })).applied).toContain('014_history_in_row');
    const b = await openBackends({ backend: 'postgres', postgres: { url: PG_URL, schema } });
    try {
      const [done] = await b.orchestrator.transitionMany(
        [{ id: 'old', to: 'SUCCESS', runnerId: 'r1', result: '1' }],
        3,
      );
      expect(done).toMatchObject({ status: 'SUCCESS' });
      expect((await b.state.history('old')).map((e) => [e.status, e.runnerId, e.at])).toEqual([
        ['REGISTERED', null, 1],
        ['PENDING', 'r1', 2],
        ['RUNNING', 'r1', 2],
        ['SUCCESS', 'r1', 3],
      ]);
      expect(await historyRows(schema)).toBe(2);
      // Retention removes both kinds.
      expect(await b.orchestrator.purge(10)).toBe(1);
      expect(await historyRows(schema)).toBe(0);
    } finally {
      await b.close();
    }
  });
});
