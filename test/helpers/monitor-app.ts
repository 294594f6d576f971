/**
 * A sqlite app with a known mix of invocations for the monitoring tests: SUCCESS (add, a parent
 * `sum` with children), FAILED (boom), RETRY (flaky, waiting an hour for its next attempt), all run
 * by a real thread runner, with `keep_logs` on.
 */
import { join } from 'node:path';
import { taskapp, type App } from '../../src/index.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

export interface SeededApp {
  app: App;
  dbPath: string;
  ids: { add: string[]; boom: string; flaky: string; sum: string };
}

export function defineMonitorApp(dbPath: string, extra: Record<string, unknown> = {}): App {
  const app = taskapp({
    appId: 'shop',
    backend: 'sqlite',
    sqlite: { path: dbPath },
    configFile: false,
    monitor: { keepLogs: true },
    loggingLevel: 'warn',
    runner: { heartbeatIntervalSeconds: 0.2 },
    ...extra,
  });
  const add = app.task('add', async ({ x, y }: { x: number; y: number }, ctx) => {
    ctx.logger.warn('adding', { x, y });
    await parentWaiting(app, ctx.invocationId);
    return x + y;
  });
  app.task('boom', async ({ why }: { why: string }) => {
    throw new RangeError(`boom: ${why}`);
  });
  app.task(
    'flaky',
    async () => {
      throw new Error('not yet');
    },
    {
      maxRetries: 3,
      retryFor: ['*'],
      retryBackoff: { kind: 'fixed', baseSeconds: 3600, jitter: false },
    },
  );
  app.task('sum', async ({ xs }: { xs: number[] }) => {
    let total = 0;
    for (let i = 0; i < xs.length; i += 2) {
      total += await add.run({ x: xs[i]!, y: xs[i + 1] ?? 0 });
    }
    return total;
  });
  // Runs until aborted (runner shutdown reroutes it): something RUNNING to look at.
  app.task(
    'slow',
    async ({ ms }: { ms: number }, ctx) =>
      new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve(undefined);
        });
      }),
  );
  // A cron the dashboard shows, due once a year: one due every 5 minutes fired mid-test now and
  // then and added an invocation the pages' counts did not expect.
  app.task('report', async () => 'ok', { cron: '0 0 1 1 *', priority: 7 });
  return app;
}

/**
 * A child of `sum` finishes only once `sum` waits for it (PAUSED): a runner fast enough to finish the
 * child before the parent starts waiting would otherwise leave no PAUSED/RESUMED in sum's history.
 */
async function parentWaiting(app: App, id: string): Promise<void> {
  const { state } = await runtimeOf(app).backends();
  const parentId = (await state.get(id))?.parentId;
  if (!parentId) {
    return;
  }
  for (let i = 0; i < 1000 && (await state.get(parentId))?.status !== 'PAUSED'; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Calls the tasks, runs them on a thread runner until each is SUCCESS, FAILED or RETRY, stops the runner. */
export async function seedMonitorApp(
  dir: string,
  extra: Record<string, unknown> = {},
): Promise<SeededApp> {
  const dbPath = join(dir, 'monitor.db');
  const app = defineMonitorApp(dbPath, extra);
  const t = (id: string) => app.getTask(id)!;
  const adds = await Promise.all([1, 2, 3].map((i) => t('add').call({ x: i, y: i * 10 })));
  const boom = await t('boom').call({ why: 'bad input' });
  const flaky = await t('flaky').call({ n: 1 });
  const sum = await t('sum').call({ xs: [1, 2, 3, 4] });
  const runner = await app.startRunner({ runner: 'thread', concurrency: 4 });
  await Promise.all(
    [...adds, boom, sum].map((i) => i.result({ timeoutMs: 30_000 }).catch(() => undefined)),
  );
  const { state } = await runtimeOf(app).backends();
  for (let i = 0; i < 300 && (await state.get(flaky.id))?.status !== 'RETRY'; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await runner.stop();
  await app.flushLogs();
  return {
    app,
    dbPath,
    ids: { add: adds.map((a) => a.id), boom: boom.id, flaky: flaky.id, sum: sum.id },
  };
}

/**
 * An hour of past work written through the backend interfaces (the state machine, with past
 * timestamps) by two named runners: what a dashboard looks like after a while, for the README's
 * screenshots. Returns how many invocations it added.
 */
export async function seedPastHour(app: App, perMinute = 6): Promise<number> {
  const { state, orchestrator } = await runtimeOf(app).backends();
  const runners = ['thread@worker-1:4242:a1b2c3d4', 'thread@worker-2:4343:e5f6a7b8'];
  const now = Date.now();
  let n = 0;
  for (let m = 60; m >= 1; m--) {
    const burst = Math.round(perMinute * (1 + Math.sin(m / 6)) + (m % 7 === 0 ? perMinute * 2 : 0));
    for (let i = 0; i < burst; i++) {
      const t0 = now - m * 60_000 + i * (55_000 / Math.max(1, burst));
      const fail = (m * 31 + i) % 13 === 0;
      const id = `past-${m}-${i}`;
      const runner = runners[(m + i) % 2]!;
      const task = fail ? 'boom' : i % 3 === 0 ? 'sum' : 'add';
      const args =
        task === 'boom' ? { why: `row ${i}` } : task === 'sum' ? { xs: [i, m] } : { x: i, y: m };
      await state.insert(
        [
          {
            id,
            taskId: task,
            args: runtimeOf(app).serializer.serialize(args),
            priority: 5,
            parentId: null,
            workflowId: null,
          },
        ],
        t0,
      );
      await orchestrator.acquire([id], runner, t0 + 3);
      await orchestrator.transition({ id, to: 'RUNNING', runnerId: runner }, t0 + 5);
      const end = t0 + 5 + 400 + ((i * 977 + m * 131) % 2600);
      await orchestrator.transition(
        fail
          ? {
              id,
              to: 'FAILED',
              runnerId: runner,
              error: runtimeOf(app).errors.serialize(
                new RangeError(`boom: row ${i}`),
                runtimeOf(app).serializer,
              ),
            }
          : {
              id,
              to: 'SUCCESS',
              runnerId: runner,
              result: runtimeOf(app).serializer.serialize(i + m),
            },
        end,
      );
      n++;
    }
  }
  return n;
}
