/**
 * A write the backend lost under a live runner (a Redis failover with asynchronous replication and
 * wait_replicas = 0, a Redis restarted without AOF, a restored backup): an invocation the runner
 * already finished shows RUNNING on it again. Heartbeat recovery never looks at a live runner's
 * work; the runner's own reconciliation (src/runners/reconcile.ts) must rerun it, once, while the
 * runner keeps running. The loss is simulated on the real server: the invocation's keys restored
 * from a dump taken while it ran (Redis), or an UPDATE back to RUNNING (sqlite, postgres).
 */
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, afterEach, expect, it } from 'vitest';
import { taskapp, type App } from '../../src/index.js';
import { runtimeOf } from '../../src/runtime/runtime.js';
import { tempDir } from '../helpers/tmp.js';
import { REDIS_URL } from '../helpers/redis-keys.js';
import { postgres, redis, sqlite, type ChaosBackend, type ChaosStorage } from './backends.js';
import { until } from './helpers.js';

/** Takes a picture of the invocation while it runs; `rollBack` later puts it back (owned by `runnerId`). */
type LoseWrites = (
  storage: ChaosStorage,
  id: string,
) => Promise<{ rollBack(runnerId: string, startedAt: number): Promise<void> }>;

const redisLoss: LoseWrites = async (storage, id) => {
  const configured = (storage.options.redis as { prefix: string }).prefix;
  const r = new Redis(REDIS_URL);
  // The app's keys carry a hash tag after the configured prefix (keys.ts): find the full one.
  const [record] = await r.keys(`${configured}*i:${id}`);
  const prefix = record!.slice(0, -`i:${id}`.length);
  const keys = [`${prefix}i:${id}`, `${prefix}h:${id}`];
  const dumps = await Promise.all(keys.map((k) => r.dumpBuffer(k)));
  return {
    rollBack: async (_runnerId, startedAt) => {
      // A plain run stores no history list (its entries are implied by the record): a key that
      // did not exist is rolled back by deleting it.
      for (const [i, k] of keys.entries()) {
        const dump = dumps[i];
        if (dump) {
          await r.restore(k, 0, dump, 'REPLACE');
        } else {
          await r.del(k);
        }
      }
      await r.zrem(`${prefix}s:SUCCESS`, id);
      await r.zadd(`${prefix}s:RUNNING`, startedAt, id);
      r.disconnect();
    },
  };
};

const sqliteLoss: LoseWrites = async (storage, id) => ({
  rollBack: async (runnerId, startedAt) => {
    const db = new Database((storage.options.sqlite as { path: string }).path);
    try {
      db.prepare(
        "UPDATE invocations SET status = 'RUNNING', owner = ?, result = NULL, updated_at = ? WHERE id = ?",
      ).run(runnerId, startedAt, id);
    } finally {
      db.close();
    }
  },
});

const postgresLoss: LoseWrites = async (storage, id) => ({
  rollBack: async (runnerId, startedAt) => {
    const { url, schema } = storage.options.postgres as { url: string; schema: string };
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(
        `UPDATE "${schema}".invocations SET status = 'RUNNING', owner = $1, result = NULL, updated_at = $2 WHERE id = $3`,
        [runnerId, startedAt, id],
      );
      await c.query(
        `INSERT INTO "${schema}".owned_sets (owner, at, ids) VALUES ($1, $2, ARRAY[$3::text])`,
        [runnerId, startedAt, id],
      );
    } finally {
      await c.end();
    }
  },
});

const CASES: Array<[ChaosBackend, LoseWrites]> = [
  [redis, redisLoss],
  [sqlite, sqliteLoss],
  [postgres, postgresLoss],
];

const tmp = tempDir('taskapp-lost-write-');
afterAll(() => tmp.cleanup());

for (const [backend, lose] of CASES) {
  await backend.describe(`chaos: a write lost under a live runner (${backend.name})`, () => {
    let app: App | undefined;
    let storage: ChaosStorage | undefined;
    afterEach(async () => {
      await app?.close();
      await storage?.cleanup();
    });

    it('an invocation it finished shows RUNNING on it again: rerun once, ends SUCCESS, the runner runs on', async () => {
      storage = backend.fresh(tmp.dir);
      app = taskapp({
        ...storage.options,
        configFile: false,
        runner: { reconcileIntervalSeconds: 1 },
      });
      let runs = 0;
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const double = app.task('double', async ({ n }: { n: number }) => {
        runs += 1;
        if (runs === 1) {
          await gate;
        }
        return n * 2;
      });
      const runner = await app.startRunner({ concurrency: 2 });
      const inv = await double.call({ n: 21 });
      await until(async () => (await inv.status()) === 'RUNNING');
      const { state } = await runtimeOf(app).backends();
      const startedAt = (await state.get(inv.id))!.updatedAt;
      const loss = await lose(storage, inv.id);
      open();
      expect(await inv.result({ timeoutMs: 10_000 })).toBe(42);
      // The backend forgets the outcome: RUNNING on the live runner, which holds nothing.
      await loss.rollBack(runner.id, startedAt);
      expect(await state.get(inv.id)).toMatchObject({ status: 'RUNNING', owner: runner.id });

      await until(async () => runs === 2 && (await inv.status()) === 'SUCCESS', 30_000);
      // Two more passes: nothing more to do.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(runs).toBe(2);
      expect(await state.get(inv.id)).toMatchObject({ status: 'SUCCESS', owner: null });
      const history = (await inv.history()).map((e) => e.status);
      expect(history.filter((s) => s === 'RUNNING_RECOVERY')).toHaveLength(1);
      const afterRecovery = history.slice(history.lastIndexOf('RUNNING_RECOVERY'));
      expect(afterRecovery.filter((s) => s === 'SUCCESS')).toHaveLength(1);
      // The runner lives on and takes new work.
      expect(runner.health().draining).toBe(false);
      expect(await (await double.call({ n: 2 })).result({ timeoutMs: 10_000 })).toBe(4);
    });
  });
}
