/**
 * "Save the order, then enqueue the email" with { tx } when the producer dies (issue 22), postgres,
 * a real child process killed with SIGKILL: killed before its COMMIT, neither the order nor the
 * invocation exists and nothing runs; killed right after it, both exist and the email runs once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { taskapp } from '../../src/index.js';
import { RUNTIME } from '../../src/runtime/runtime.js';
import { describeWithService } from '../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../helpers/postgres.js';
import { nodeEntry } from '../helpers/build.js';

const FIXTURE = nodeEntry(new URL('./fixtures/tx-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scope = pgScope('txk');

await describeWithService('postgres', PG_HOST, PG_PORT, '{ tx } producer under SIGKILL', () => {
  afterAll(() => scope.cleanup());

  /** Runs the producer until it has called, kills it, and waits until the server has ended its session. */
  async function produceAndKill(mode: 'open' | 'commit') {
    const schema = scope.next();
    const table = `${scope.next()}.orders`;
    const cfg = { backend: 'postgres' as const, postgres: { url: PG_URL, schema, poolSize: 2 } };
    const app = taskapp({ appId: 'tx-chaos', configFile: false, loggingLevel: 'error', ...cfg });
    const runs: number[] = [];
    app.task('sendEmail', async ({ orderId }: { orderId: number }) => {
      runs.push(orderId);
      return orderId;
    });
    await app[RUNTIME].backends(); // migrates the schema
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${table.split('.')[0]}`);
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    const name = `txchild-${randomUUID().slice(0, 8)}`;
    const child: ChildProcess = spawn(process.execPath, FIXTURE, {
      cwd: ROOT,
      env: {
        ...process.env,
        TASKAPP_TEST_BACKEND: JSON.stringify(cfg),
        TASKAPP_TEST_TABLE: table,
        TASKAPP_TEST_MODE: mode,
        TASKAPP_TEST_NAME: name,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => String(d).includes('called') && resolve());
      child.once('exit', (code) => reject(new Error(`producer exited (${code}) early: ${err}`)));
    });
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGKILL');
    });
    // The server ends the dead client's session (rolling back what it left open): wait for that.
    for (let t = 0; t < 200; t++) {
      const { rows } = await admin.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      if (rows[0].n === 0) {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const orders = (await admin.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
    return { app, admin, orders, runs, schema };
  }

  it('killed before its COMMIT: no order, no invocation, nothing runs', async () => {
    const { app, admin, orders, runs, schema } = await produceAndKill('open');
    try {
      expect(orders).toBe(0);
      const runner = await app.startRunner({ runner: 'thread', concurrency: 1 });
      // A later call through the same queue runs: the runner is live and found nothing before it.
      const probe = await app.getTask('sendEmail')!.call({ orderId: 8 });
      expect(await probe.result({ timeoutMs: 20_000 })).toBe(8);
      await runner.stop();
      const { state } = await app[RUNTIME].backends();
      expect(await state.get('order-7:email')).toBeNull();
      expect((await admin.query(`SELECT count(*)::int AS n FROM ${schema}.queue`)).rows[0].n).toBe(
        0,
      );
      expect(runs).toEqual([8]);
    } finally {
      await admin.end();
      await app.close();
    }
  });

  it('killed right after its COMMIT: the order and the invocation exist, the email runs once', async () => {
    const { app, admin, orders, runs } = await produceAndKill('commit');
    try {
      expect(orders).toBe(1);
      const runner = await app.startRunner({ runner: 'thread', concurrency: 1 });
      expect(await app.invocation('order-7:email').result({ timeoutMs: 20_000 })).toBe(7);
      await runner.stop();
      expect(runs).toEqual([7]);
    } finally {
      await admin.end();
      await app.close();
    }
  });
});
