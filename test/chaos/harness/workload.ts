/**
 * The chaos harness's workload: plain, retrying, timing-out, fanning-out, CPU-bound and
 * loop-blocking tasks. Configured by env only (TASKAPP__BACKEND and its section), so runner
 * processes and the harness share one storage. Every execution appends `exec <invocation id> <pid>`
 * to CHAOS_OUT when it starts: the harness counts executions per invocation from that file.
 */
import { appendFileSync } from 'node:fs';
import { taskapp, type App } from '../../../src/index.js';

export const APP_ID = 'chaos-harness';

const mark = (invocationId: string) => {
  if (process.env.CHAOS_OUT) {
    appendFileSync(process.env.CHAOS_OUT, `exec ${invocationId} ${process.pid}\n`);
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const spinFor = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: blocks the event loop on purpose
  }
};

export class Flaky extends Error {
  override name = 'Flaky';
}

/** The workload's tasks on `app`: the runners' app and the harness's producer define the same. */
export function defineWorkload(app: App) {
  const plain = app.task('plain', async ({ ms }: { ms: number }, ctx) => {
    mark(ctx.invocationId);
    await sleep(ms);
    return ms;
  });

  /** Fails its first `failures` attempts, then succeeds. */
  const flaky = app.task(
    'flaky',
    async ({ failures }: { failures: number }, ctx) => {
      mark(ctx.invocationId);
      await sleep(5);
      if (ctx.attempt <= failures) {
        throw new Flaky(`attempt ${ctx.attempt} of ${failures + 1}`);
      }
      return ctx.attempt;
    },
    {
      maxRetries: 3,
      retryFor: ['Flaky'],
      retryBackoff: { kind: 'fixed', baseSeconds: 0.05, jitter: false },
    },
  );

  /** Runs past its 1 s timeout unless `ms` is short: ends SUCCESS or FAILED (TaskTimeoutError). */
  const slow = app.task(
    'slow',
    async ({ ms }: { ms: number }, ctx) => {
      mark(ctx.invocationId);
      await sleep(ms);
      return ms;
    },
    { timeoutSeconds: 1 },
  );

  const leaf = app.task('leaf', async ({ i }: { i: number }, ctx) => {
    mark(ctx.invocationId);
    await sleep(2);
    return i;
  });

  /** Fans out `n` leaves and awaits them all (the parent is PAUSED while it waits). */
  const fan = app.task('fan', async ({ n }: { n: number }, ctx) => {
    mark(ctx.invocationId);
    const group = await leaf.parallelize(Array.from({ length: n }, (_, i) => ({ i })));
    const all = await group.all();
    return all.reduce((a, b) => a + b, 0);
  });

  /** CPU-bound in short slices (the event loop turns between them). */
  const cpu = app.task('cpu', async ({ ms }: { ms: number }, ctx) => {
    mark(ctx.invocationId);
    for (let done = 0; done < ms; done += 20) {
      spinFor(20);
      await sleep(0);
    }
    return ms;
  });

  /** Blocks its process's event loop for `ms` at once: the block-loop fault. */
  const block = app.task('block', async ({ ms }: { ms: number }, ctx) => {
    mark(ctx.invocationId);
    spinFor(ms);
    return ms;
  });

  return { plain, flaky, slow, leaf, fan, cpu, block };
}

/** The runner processes' app, configured by env (TASKAPP__BACKEND and its section). */
export const app = taskapp({ appId: APP_ID, configFile: false });
defineWorkload(app);
