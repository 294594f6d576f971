/**
 * The outbox (issue 22) on the redis backend with the outbox table in PostgreSQL: { tx } is refused
 * with the outbox as the fix; a rolled-back transaction leaves no outbox row and nothing runs; a
 * committed one is relayed by a runner and runs once; the lag shows in /metrics and the dashboard
 * overview; a row relayed twice (a relay that died before deleting it) stores one invocation.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { taskapp, type App } from '../../../src/index.js';
import { TaskMetrics } from '../../../src/monitoring/metrics.js';
import { MonitorData } from '../../../src/monitoring/snapshot.js';
import type { Runner } from '../../../src/runners/runner.js';
import { outboxStoreOf, relayEntries, relayOnce } from '../../../src/runtime/outbox.js';
import { RUNTIME } from '../../../src/runtime/runtime.js';
import { describeWithService, reachable } from '../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, inTransaction, pgScope } from '../../helpers/postgres.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../../helpers/redis-keys.js';

const scope = pgScope('obu');
const redisUp = await reachable('127.0.0.1', 6379);

await describeWithService('postgres', PG_HOST, PG_PORT, 'outbox (redis backend)', () => {
  let app: App;
  let runner: Runner | undefined;
  let pool: pg.Pool;
  let prefix: string;
  let schema: string;
  let sent: number[];

  beforeEach(async ({ skip }) => {
    if (!redisUp) {
      skip();
    }
    prefix = testPrefix('outbox');
    schema = scope.next();
    sent = [];
    app = taskapp({
      configFile: false,
      appId: 'outbox',
      backend: 'redis',
      redis: { url: REDIS_URL, prefix },
      outbox: { url: PG_URL, schema, pollIntervalMs: 50 },
      loggingLevel: 'error',
    });
    app.task('sendEmail', async ({ orderId }: { orderId: number }) => {
      sent.push(orderId);
      return `sent ${orderId}`;
    });
    pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await app?.close();
    await pool?.end();
    await deleteKeys(prefix);
  });
  afterAll(() => scope.cleanup());

  const inTx = <T>(end: 'COMMIT' | 'ROLLBACK', fn: (c: pg.PoolClient) => Promise<T>) =>
    inTransaction(pool, end, fn);
  const pending = async () =>
    Number((await pool.query(`SELECT count(*)::int AS n FROM ${schema}.outbox`)).rows[0].n);

  it('{ tx } on redis is refused, naming the outbox as the fix', async () => {
    await inTx('ROLLBACK', async (c) => {
      await expect(app.getTask('sendEmail')!.call({ orderId: 1 }, { tx: c })).rejects.toMatchObject(
        {
          code: 'TX_UNSUPPORTED',
          message: expect.stringMatching(/redis/),
          fix: expect.stringMatching(/app\.outbox\(client\)/),
        },
      );
      await expect(app.emit('x', {}, { tx: c })).rejects.toMatchObject({ code: 'TX_UNSUPPORTED' });
    });
  });

  it('a rolled-back transaction leaves no row and nothing runs; a committed one is relayed and runs once', async () => {
    const email = app.getTask('sendEmail')!;
    await inTx('ROLLBACK', async (c) => {
      await app.outbox(c).call(email, { orderId: 1 });
      await app.outbox(c).parallelize(email, [{ orderId: 11 }, { orderId: 12 }]);
    });
    const { inv, group } = await inTx('COMMIT', async (c) => {
      const i = await app.outbox(c).call(email, { orderId: 2 }, { priority: 8 });
      const g = await app.outbox(c).parallelize(email, [{ orderId: 3 }, { orderId: 4 }]);
      await expect(app.outbox(pool).call(email, { orderId: 5 })).rejects.toMatchObject({
        code: 'TX_NOT_OPEN',
      });
      return { inv: i, group: g };
    });
    expect(await pending()).toBe(3);
    runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    expect(await inv.result({ timeoutMs: 20_000 })).toBe('sent 2');
    for (const i of group.invocations) {
      await i.result({ timeoutMs: 20_000 });
    }
    expect((await inv.record()).priority).toBe(8);
    // The relay deletes its rows after storing them: wait (bounded) for its pass to end.
    for (let t = 0; t < 200 && (await pending()) > 0; t++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await pending()).toBe(0);
    const { state } = await app[RUNTIME].backends();
    expect((await state.list({ taskId: 'sendEmail' })).map((r) => r.id).sort()).toEqual(
      [inv.id, ...group.ids].sort(),
    );
    expect(sent.sort()).toEqual([2, 3, 4]);
  });

  it('a row relayed twice (its relay died before deleting it) stores one invocation', async () => {
    const email = app.getTask('sendEmail')!;
    await inTx('COMMIT', (c) => app.outbox(c).call(email, { orderId: 4 }, { id: 'order-4' }));
    const store = await outboxStoreOf(app[RUNTIME]);
    // A relay that stores the call, then fails before its transaction deletes the row.
    await expect(
      store.relay(10, async (entries) => {
        await relayEntries(app[RUNTIME], entries);
        throw new Error('relay died');
      }),
    ).rejects.toThrow('relay died');
    expect(await pending()).toBe(1);
    expect(await relayOnce(app[RUNTIME])).toBe(1);
    expect(await pending()).toBe(0);
    const { state } = await app[RUNTIME].backends();
    expect((await state.list({ taskId: 'sendEmail' })).map((r) => r.id)).toEqual(['order-4']);
  });

  it('the lag is in /metrics and the dashboard overview', async () => {
    await inTx('COMMIT', (c) => app.outbox(c).call('sendEmail', { orderId: 5 }));
    const metrics = new TaskMetrics(app[RUNTIME]);
    try {
      const text = await metrics.text();
      expect(text).toMatch(/^taskapp_outbox_pending 1$/m);
      expect(Number(/^taskapp_outbox_lag_seconds (\S+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(
        0,
      );
    } finally {
      metrics.close();
    }
    const o = await new MonitorData(app[RUNTIME]).overview();
    expect(o.outbox?.pending).toBe(1);
  });
});
