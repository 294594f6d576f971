/**
 * A thread runner without a worker thread for the task (no appModule: the task runs on its main
 * thread) cannot stop a timed-out task that ignores its signal: the attempt still fails with
 * TaskTimeoutError, a warning names the task, and its retry does not start while the old body runs.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { taskapp, TaskTimeoutError, type Runner } from '../../../src/index.js';

describe('thread runner: a timed-out task that ignores its signal, on the main thread', () => {
  const app = taskapp({
    configFile: false,
    appId: 'overrun-test',
    backend: 'memory',
    loggingLevel: 'error',
  });
  let runner: Runner | undefined;
  afterEach(async () => {
    await runner?.stop({ graceMs: 0 });
    runner = undefined;
  });
  afterAll(() => app.close());

  let running = 0;
  let mostAtOnce = 0;
  let bodies = 0;
  /** Sleeps past its timeout and the runner's grace, ignoring ctx.signal. */
  const ignores = app.task(
    'ignoresOnMain',
    async () => {
      bodies++;
      mostAtOnce = Math.max(mostAtOnce, ++running);
      await new Promise((r) => setTimeout(r, 2600));
      running--;
    },
    {
      timeoutSeconds: 0.2,
      maxRetries: 1,
      retryFor: ['TaskTimeoutError'],
      retryBackoff: { kind: 'fixed', baseSeconds: 0, jitter: false },
    },
  );

  it('fails with TaskTimeoutError after its retry, never two attempts at once, and a warning names it', async () => {
    const warn = vi.spyOn(app.logger, 'warn');
    runner = await app.startRunner({ runner: 'thread', concurrency: 4 });
    const inv = await ignores.call({});
    await expect(inv.result({ timeoutMs: 30_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(bodies).toBe(2);
    expect(mostAtOnce).toBe(1);
    expect((await inv.history()).map((h) => h.status)).toEqual([
      'REGISTERED',
      'PENDING',
      'RUNNING',
      'RETRY',
      'PENDING',
      'RUNNING',
      'FAILED',
    ]);
    const warned = warn.mock.calls.filter(([msg]) => String(msg).includes('"ignoresOnMain"'));
    expect(warned.length).toBeGreaterThanOrEqual(1);
    expect(warned[0]![1]).toMatchObject({ task: 'ignoresOnMain', invocation: inv.id });
  });
});
