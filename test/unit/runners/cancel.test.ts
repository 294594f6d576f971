/**
 * Cancelling a running invocation on each runner kind stops its work: the task's side effects
 * (lines appended to a file) stop, and it ends CANCELLED with InvocationCancelledError from
 * result(). A task that ignores its signal is stopped by killing its child process or worker
 * thread after the grace period; on the thread runner's own thread it cannot be, and is written
 * CANCELLED when it returns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvocationCancelledError, type Runner } from '../../../src/index.js';
import type { RunnerOptions } from '../../../src/runners/runner.js';
import { tempDir } from '../../helpers/tmp.js';
import { app, deaf, deafInWorker, ticker } from './fixtures/cancel-app.js';
import { fixtureModule } from '../../helpers/build.js';

const CANCEL_APP = fixtureModule(new URL('./fixtures/cancel-app.ts', import.meta.url));
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []);
const ticks = (file: string) => lines(file).filter((l) => l === 'tick').length;

async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when the file gained no tick over a generous pause: the work has stopped. */
async function stopped(file: string): Promise<boolean> {
  const before = ticks(file);
  await new Promise((r) => setTimeout(r, 1000));
  return ticks(file) === before;
}

describe('cancel a running invocation, per runner kind', () => {
  let runner: Runner | undefined;
  let cleanup = () => {};
  afterEach(async () => {
    await runner?.stop({ graceMs: 0 });
    runner = undefined;
    await app.close();
    cleanup();
  });

  const start = async (opts: RunnerOptions, extraEnv: Record<string, string> = {}) => {
    const t = tempDir();
    cleanup = t.cleanup;
    app.configure({
      env: {
        ...process.env,
        TASKAPP__BACKEND: 'sqlite',
        TASKAPP__SQLITE__PATH: join(t.dir, 'db.sqlite'),
        TASKAPP__LOGGING_LEVEL: 'error',
        ...extraEnv,
      },
    });
    runner = await app.startRunner({ appModule: CANCEL_APP, ...opts });
    return t.dir;
  };

  const cancelAndCheck = async (dir: string, task: typeof ticker, name: string): Promise<void> => {
    const file = join(dir, `${name}.out`);
    const inv = await task.call({ file });
    await until(() => ticks(file) >= 2);
    const res = await inv.cancel({ reason: `stop ${name}` });
    expect(res.outcome).toBe('requested');
    const err = await inv.result({ timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvocationCancelledError);
    expect((err as Error).message).toContain(`stop ${name}`);
    expect(await inv.status()).toBe('CANCELLED');
    expect(await stopped(file)).toBe(true);
    expect(lines(file).filter((l) => l.startsWith('start'))).toHaveLength(1);
  };

  it('thread runner, on its own thread: the signal aborts and the body ends', async () => {
    const dir = await start({ runner: 'thread', concurrency: 2 });
    await cancelAndCheck(dir, ticker, 'thread');
  }, 120_000);

  it('thread runner, a task in a worker thread that ignores its signal: the worker is terminated', async () => {
    const dir = await start({ runner: 'thread', concurrency: 2 });
    await cancelAndCheck(dir, deafInWorker, 'thread-worker');
  }, 120_000);

  it('process runner, a task that ignores its signal: its child is killed after the grace period', async () => {
    const dir = await start({ runner: 'process', processes: 2 });
    await cancelAndCheck(dir, deaf, 'process');
  }, 120_000);

  it('persistent-process: the signal aborts in the child; the child lives on for other work', async () => {
    const dir = await start({ runner: 'persistent-process', processes: 1, concurrency: 2 });
    await cancelAndCheck(dir, ticker, 'persistent');
    const file = join(dir, 'after.out');
    const again = await ticker.call({ file });
    await until(() => ticks(file) >= 1);
    await again.cancel();
    await expect(again.result({ timeoutMs: 60_000 })).rejects.toBeInstanceOf(
      InvocationCancelledError,
    );
  }, 120_000);

  it('persistent-process, a task that ignores its signal: its child is killed, a neighbour reruns elsewhere', async () => {
    const dir = await start({ runner: 'persistent-process', processes: 1, concurrency: 2 });
    const nFile = join(dir, 'neighbour.out');
    const neighbour = await ticker.call({ file: nFile });
    await until(() => ticks(nFile) >= 1);
    await cancelAndCheck(dir, deaf, 'persistent-deaf');
    // The neighbour went down with the child and runs again (two starts), unharmed.
    await until(() => lines(nFile).filter((l) => l.startsWith('start')).length === 2);
    await neighbour.cancel();
    await expect(neighbour.result({ timeoutMs: 60_000 })).rejects.toBeInstanceOf(
      InvocationCancelledError,
    );
  }, 120_000);

  it("process runner: a call's timeoutMs, on a task with no timeout, kills the child of a task that ignores its signal", async () => {
    const dir = await start({ runner: 'process', processes: 2 });
    const file = join(dir, 'per-call-timeout.out');
    const inv = await deaf.call({ file }, { timeoutMs: 500 });
    await expect(inv.result({ timeoutMs: 60_000 })).rejects.toMatchObject({
      code: 'TASK_TIMEOUT',
    });
    expect(await inv.status()).toBe('FAILED');
    expect(await stopped(file)).toBe(true);
  }, 120_000);

  it('multi-thread: the thread runner in the child hears the cancel and stops the work', async () => {
    const dir = await start(
      { runner: 'multi-thread', concurrency: 2 },
      { TASKAPP__RUNNER__MIN_PROCESSES: '1', TASKAPP__RUNNER__MAX_PROCESSES: '1' },
    );
    await cancelAndCheck(dir, ticker, 'multi-thread');
  }, 120_000);
});
