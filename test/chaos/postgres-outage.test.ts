/**
 * A PostgreSQL outage longer than runner_dead_after_seconds (issue #15: after a 40 s outage the
 * first recovery pass declared every runner dead, itself included, and reran live work). Two
 * runners with work in flight lose the server for 10 s (a proxy drops and refuses their
 * connections; the shared server is untouched): afterwards neither declares the other dead, and
 * every invocation runs once.
 */
import { afterAll, expect, it } from 'vitest';
import { taskapp, type App } from '../../src/index.js';
import { describeWithService } from '../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const scope = pgScope('outage');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await describeWithService(
  'postgres',
  PG_HOST,
  PG_PORT,
  'postgres: an outage longer than runner_dead_after_seconds',
  () => {
    afterAll(() => scope.cleanup());

    it('two runners with work in flight across a 10 s outage: no one is declared dead, each invocation runs once', async () => {
      const proxy = new TcpProxy(PG_HOST, PG_PORT);
      await proxy.up();
      const url = PG_URL.replace(`${PG_HOST}:${PG_PORT}`, `127.0.0.1:${proxy.port}`);
      const schema = scope.next();
      const executions = new Map<string, number>();
      const make = () => {
        const app = taskapp({
          configFile: false,
          backend: 'postgres',
          loggingLevel: 'error',
          postgres: { url, schema, poolSize: 4 },
        });
        const slow = app.task('slow', async ({ ms }: { ms: number }, ctx) => {
          executions.set(ctx.invocationId, (executions.get(ctx.invocationId) ?? 0) + 1);
          await sleep(ms);
          return ms;
        });
        return { app, slow };
      };
      const a = make();
      const b = make();
      const apps: App[] = [a.app, b.app];
      try {
        const ra = await a.app.startRunner({ runner: 'thread', concurrency: 2 });
        const rb = await b.app.startRunner({ runner: 'thread', concurrency: 2 });
        const group = await a.slow.parallelize(Array.from({ length: 4 }, () => ({ ms: 18_000 })));
        const { state } = await runtimeOf(a.app).backends();
        // Both runners hold work when the server goes away.
        for (;;) {
          const running = await state.list({ statuses: ['RUNNING'] });
          if (running.length === 4 && new Set(running.map((r) => r.owner)).size === 2) {
            break;
          }
          await sleep(50);
        }
        await proxy.down();
        await sleep(10_000);
        await proxy.up();
        expect(await group.all({ timeoutMs: 45_000 })).toEqual([18_000, 18_000, 18_000, 18_000]);
        expect([...executions.values()]).toEqual([1, 1, 1, 1]);
        for (const id of group.ids) {
          const statuses = (await state.history(id)).map((h) => h.status);
          expect(statuses, id).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'SUCCESS']);
        }
        expect((await state.runners()).map((r) => r.id).sort()).toEqual([ra.id, rb.id].sort());
      } finally {
        for (const app of apps) {
          await app.close();
        }
        await proxy.down();
      }
    });
  },
);
