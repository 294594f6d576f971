/**
 * The task's ctx makes its signal, logger and workflow on first use (runners/execute.ts): the
 * behaviour must be the same as when they were made for every attempt.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { taskapp, TaskTimeoutError, type Runner, type TaskContext } from '../../../src/index.js';

describe('task ctx made on first use', () => {
  const app = taskapp({
    configFile: false,
    appId: 'ctx-test',
    backend: 'memory',
    loggingLevel: 'error',
  });
  let runner: Runner | undefined;
  afterEach(async () => {
    await runner?.stop({ graceMs: 0 });
    runner = undefined;
  });
  afterAll(() => app.close());

  const seen: Record<string, unknown> = {};
  const listens = app.task(
    'listens',
    async (_: Record<string, never>, ctx: TaskContext) => {
      seen.listens = await new Promise((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason), { once: true }),
      );
    },
    { timeoutSeconds: 0.2 },
  );
  const looksLate = app.task(
    'looksLate',
    async (_: Record<string, never>, ctx: TaskContext) => {
      await new Promise((r) => setTimeout(r, 400));
      seen.late = ctx.signal.aborted && ctx.signal.reason;
    },
    { timeoutSeconds: 0.2 },
  );
  const same = app.task('same', async (_: Record<string, never>, ctx: TaskContext) => [
    ctx.signal === ctx.signal,
    ctx.logger === ctx.logger,
    ctx.wf === ctx.wf,
    ctx.signal.aborted,
    typeof ctx.wf.random(),
  ]);

  it('a timeout aborts ctx.signal for a task already listening to it', async () => {
    runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    await expect(listens.run({}, { timeoutMs: 10_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
    await expect.poll(() => seen.listens).toBeInstanceOf(TaskTimeoutError);
  });

  it('a timeout aborts ctx.signal for a task that first reads it afterwards', async () => {
    runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    await expect(looksLate.run({}, { timeoutMs: 10_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
    await expect.poll(() => seen.late).toBeInstanceOf(TaskTimeoutError);
  });

  it('signal, logger and wf are one object each for the whole attempt', async () => {
    runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    expect(await same.run({}, { timeoutMs: 10_000 })).toEqual([true, true, true, false, 'number']);
  });
});
