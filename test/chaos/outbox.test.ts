/**
 * The outbox loses nothing and duplicates nothing when a process dies (issue 22), redis backend +
 * outbox in PostgreSQL, real child processes killed with SIGKILL:
 * - a producer killed right after its COMMIT (no relay ran): every call is relayed and runs once;
 * - a relay killed after storing the calls but before deleting the rows: the rows stay, the next
 *   relay stores nothing new (idempotent ids), every call runs exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { taskapp } from '../../src/index.js';
import { RUNTIME } from '../../src/runtime/runtime.js';
import { describeWithService } from '../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../helpers/postgres.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { nodeEntry } from '../helpers/build.js';

const FIXTURE = nodeEntry(new URL('./fixtures/outbox-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scope = pgScope('obx');
const prefixes: string[] = [];

function child(cfg: object, mode: string, until: string, n = 0): Promise<ChildProcess> {
  const c = spawn(process.execPath, FIXTURE, {
    cwd: ROOT,
    env: {
      ...process.env,
      TASKAPP_TEST_BACKEND: JSON.stringify(cfg),
      TASKAPP_TEST_MODE: mode,
      TASKAPP_TEST_N: String(n),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  c.stderr!.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    c.stdout!.on('data', (d) => {
      if (String(d).includes(until)) {
        resolve(c);
      }
    });
    c.once('exit', (code) => reject(new Error(`${mode} exited (${code}) early: ${err}`)));
  });
}
const kill = (c: ChildProcess) =>
  new Promise<void>((r) => {
    c.once('exit', () => r());
    c.kill('SIGKILL');
  });

await describeWithService('postgres', PG_HOST, PG_PORT, 'outbox under SIGKILL', () => {
  afterAll(async () => {
    await scope.cleanup();
    await Promise.all(prefixes.map((p) => deleteKeys(p)));
  });

  const config = () => {
    const prefix = testPrefix('outbox');
    prefixes.push(prefix);
    return {
      backend: 'redis' as const,
      redis: { url: REDIS_URL, prefix },
      outbox: { url: PG_URL, schema: scope.next(), pollIntervalMs: 50 },
    };
  };

  /** Starts a runner here, waits for all `n` calls, and returns how often each ran. */
  async function drain(cfg: ReturnType<typeof config>, n: number) {
    const runs = new Map<number, number>();
    const app = taskapp({
      appId: 'outbox-chaos',
      configFile: false,
      loggingLevel: 'error',
      ...cfg,
    });
    app.task('sendEmail', async ({ orderId }: { orderId: number }) => {
      runs.set(orderId, (runs.get(orderId) ?? 0) + 1);
      return orderId;
    });
    const runner = await app.startRunner({ runner: 'thread', concurrency: 4 });
    try {
      for (let i = 0; i < n; i++) {
        expect(await app.invocation(`order-${i}:email`).result({ timeoutMs: 30_000 })).toBe(i);
      }
      const { state } = await app[RUNTIME].backends();
      const stored = await state.list({ taskId: 'sendEmail' });
      // The relay deletes rows after storing them: wait (bounded) for its pass to end.
      const pg2 = new pg.Client({ connectionString: PG_URL });
      await pg2.connect();
      let left = -1;
      for (let t = 0; t < 200 && left !== 0; t++) {
        if (t) {
          await new Promise((r) => setTimeout(r, 100));
        }
        left = (await pg2.query(`SELECT count(*)::int AS n FROM ${cfg.outbox.schema}.outbox`))
          .rows[0].n;
      }
      await pg2.end();
      return { runs, stored: stored.length, left };
    } finally {
      await runner.stop();
      await app.close();
    }
  }

  it('a producer killed right after its commit: every call is relayed and runs once', async () => {
    const cfg = config();
    const producer = await child(cfg, 'produce', 'committed', 20);
    await kill(producer);
    const { runs, stored, left } = await drain(cfg, 20);
    expect(stored).toBe(20);
    expect(left).toBe(0);
    expect([...runs.values()].every((k) => k === 1)).toBe(true);
    expect(runs.size).toBe(20);
  });

  it('a relay killed after storing the calls, before deleting the rows: nothing lost, nothing twice', async () => {
    const cfg = config();
    await kill(await child(cfg, 'produce', 'committed', 20));
    const relay = await child(cfg, 'relay-die', 'relayed');
    await kill(relay);
    // The killed relay's transaction rolled back: the rows are all still there, and the
    // invocations it stored too.
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    expect(
      (await c.query(`SELECT count(*)::int AS n FROM ${cfg.outbox.schema}.outbox`)).rows[0].n,
    ).toBe(20);
    await c.end();
    const { runs, stored, left } = await drain(cfg, 20);
    expect(stored).toBe(20);
    expect(left).toBe(0);
    expect(runs.size).toBe(20);
    expect([...runs.values()].every((k) => k === 1)).toBe(true);
  });
});
