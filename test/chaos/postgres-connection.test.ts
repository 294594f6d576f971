/**
 * Connection faults on postgres: while 2,000 tasks run, every connection of this test's app (found
 * by its unique application_name) is killed with pg_terminate_backend, three times; and the server
 * is unreachable for a while (through a proxy that drops and refuses connections). The pool opens
 * new connections, the LISTEN client reconnects, and every task still reaches SUCCESS exactly once.
 */
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { taskapp } from '../../src/index.js';
import { describeWithService } from '../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const scope = pgScope('fault');
const appName = `taskapp_fault_${process.pid}`;
const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${appName}`;

await describeWithService(
  'postgres',
  PG_HOST,
  PG_PORT,
  'postgres: connections killed mid-run',
  () => {
    afterAll(() => scope.cleanup());

    it('runs all 2,000 tasks to SUCCESS through pg_terminate_backend of every app connection', async () => {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      const app = taskapp({
        configFile: false,
        backend: 'postgres',
        loggingLevel: 'error',
        postgres: { url, schema: scope.next(), poolSize: 6 },
      });
      try {
        const add = app.task('add', async ({ x, y }: { x: number; y: number }) => {
          await new Promise((r) => setTimeout(r, 1));
          return x + y;
        });
        await app.startRunner({ runner: 'thread', concurrency: 50 });
        const N = 2000;
        const group = await add.parallelize(Array.from({ length: N }, (_, i) => ({ x: i, y: 1 })));
        const { state } = await runtimeOf(app).backends();
        const kill = async () =>
          (
            await admin.query(
              'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
              [appName],
            )
          ).rowCount ?? 0;
        let killed = 0;
        for (const threshold of [300, 900, 1500]) {
          while (((await state.countByStatus()).SUCCESS ?? 0) < threshold) {
            await new Promise((r) => setTimeout(r, 5));
          }
          killed += await kill();
        }
        expect(killed).toBeGreaterThan(3);
        const results = await group.all({ timeoutMs: 120_000 });
        expect(results).toEqual(Array.from({ length: N }, (_, i) => i + 1));
        expect(await state.countByStatus()).toEqual({ SUCCESS: N });
        const recs = await state.getMany(group.ids);
        expect(recs.filter((r) => r.attempt !== 1)).toEqual([]);
        expect(await (await runtimeOf(app).backends()).broker.count()).toBe(0);
      } finally {
        await app.close();
        await admin.end();
      }
    });

    it('goes on after the server is unreachable for a while mid-run', async () => {
      const proxy = new TcpProxy(PG_HOST, PG_PORT);
      await proxy.up();
      const app = taskapp({
        configFile: false,
        backend: 'postgres',
        loggingLevel: 'error',
        postgres: {
          url: PG_URL.replace(`${PG_HOST}:${PG_PORT}`, `127.0.0.1:${proxy.port}`),
          schema: scope.next(),
          poolSize: 4,
        },
      });
      try {
        const add = app.task('add', async ({ x, y }: { x: number; y: number }) => {
          await new Promise((r) => setTimeout(r, 1));
          return x + y;
        });
        await app.startRunner({ runner: 'thread', concurrency: 20 });
        const N = 1000;
        const group = await add.parallelize(Array.from({ length: N }, (_, i) => ({ x: i, y: 2 })));
        const { state } = await runtimeOf(app).backends();
        while (((await state.countByStatus()).SUCCESS ?? 0) < 200) {
          await new Promise((r) => setTimeout(r, 5));
        }
        await proxy.down();
        await new Promise((r) => setTimeout(r, 1500));
        await proxy.up();
        expect(await group.all({ timeoutMs: 60_000 })).toEqual(
          Array.from({ length: N }, (_, i) => i + 2),
        );
        expect(await state.countByStatus()).toEqual({ SUCCESS: N });
      } catch (e) {
        // What was left behind, to tell a lost claim from a lost transition.
        const { state } = await runtimeOf(app).backends();
        const stuck = (await state.list({})).filter((r) => r.status !== 'SUCCESS');
        console.error(
          'left behind',
          await state.countByStatus(),
          stuck.slice(0, 3).map((r) => [r.id, r.status]),
        );
        throw e;
      } finally {
        await app.close();
        await proxy.down();
      }
    });
  },
);
