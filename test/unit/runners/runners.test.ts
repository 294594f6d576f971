/**
 * The runners beyond thread, started in this process with real children: fib(16) (waiting parents
 * free their slot across processes), multi-thread scaling on sqlite, worker_threads tasks, and
 * the errors a user can get.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type Runner } from '../../../src/index.js';
import { app, fib, report, reportInWorker, spin, work } from '../../chaos/fixtures/app.js';
import { FIXTURE_APP } from '../../chaos/helpers.js';
import { tempDir } from '../../helpers/tmp.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';
import { forkGuest } from '../../../src/runners/remote/spawn.js';

describe('runners', () => {
  let runner: Runner | undefined;
  let cleanup = () => {};
  afterEach(async () => {
    await runner?.stop({ graceMs: 0 });
    runner = undefined;
    await app.close();
    cleanup();
  });
  const useMemory = () =>
    app.configure({
      env: { ...process.env, TASKAPP__BACKEND: 'memory', TASKAPP__LOGGING_LEVEL: 'error' },
    });
  const useSqlite = () => {
    const t = tempDir();
    cleanup = t.cleanup;
    app.configure({
      env: {
        ...process.env,
        TASKAPP__BACKEND: 'sqlite',
        TASKAPP__SQLITE__PATH: join(t.dir, 'db.sqlite'),
        TASKAPP__LOGGING_LEVEL: 'error',
      },
    });
  };

  // fib(16): 2,583 invocations that await each other (fib.test.ts runs fib(20) at scale).
  it('thread runner, concurrency 2: fib(16) finishes', async () => {
    useMemory();
    runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    expect(await fib.run({ n: 16 }, { timeoutMs: 120_000 })).toBe(987);
  });

  it('persistent-process, 2 children, memory backend: fib(16) finishes (calls and waits go through the parent)', async () => {
    useMemory();
    runner = await app.startRunner({
      runner: 'persistent-process',
      processes: 2,
      appModule: FIXTURE_APP,
    });
    const inv = await fib.call({ n: 16 });
    expect(await inv.result({ timeoutMs: 120_000 })).toBe(987);
    const statuses = (await inv.history()).map((h) => h.status);
    expect(statuses).toContain('PAUSED');
    expect(statuses.at(-1)).toBe('SUCCESS');
  }, 180_000);

  it('ctx.progress from a child process and from a worker thread: the last value is stored', async () => {
    useSqlite();
    runner = await app.startRunner({
      runner: 'persistent-process',
      processes: 1,
      appModule: FIXTURE_APP,
    });
    const inChild = await report.call({ n: 40 });
    expect(await inChild.result({ timeoutMs: 60_000 })).toBe(40);
    const child = await inChild.progress();
    expect(child).toMatchObject({ value: 1 });
    expect(child!.message).toMatch(/^40\/40 in \d+$/);
    expect(child!.message).not.toContain(` ${process.pid}`);
    await runner.stop({ graceMs: 0 });
    runner = await app.startRunner({ runner: 'thread', appModule: FIXTURE_APP });
    const inWorker = await reportInWorker.call({ n: 40 });
    expect(await inWorker.result({ timeoutMs: 60_000 })).toBe(40);
    expect(await inWorker.progress()).toMatchObject({
      value: 1,
      message: `40/40 in ${process.pid}`,
    });
  }, 120_000);

  for (const kind of ['thread', 'persistent-process'] as const) {
    it(`${kind} with autorun: false gets ready but claims nothing until run()`, async () => {
      useSqlite();
      runner = await app.startRunner({
        runner: kind,
        processes: 1,
        appModule: FIXTURE_APP,
        autorun: false,
      });
      const inv = await fib.call({ n: 3 });
      // Long enough for a running runner to have claimed it many times over (claims wake at once).
      await new Promise((r) => setTimeout(r, 300));
      expect(await inv.status()).toBe('REGISTERED');
      runner.run();
      expect(await inv.result({ timeoutMs: 30_000 })).toBe(2);
    }, 60_000);
  }

  it('process runner: a fresh child per invocation', async () => {
    useSqlite();
    runner = await app.startRunner({ runner: 'process', processes: 2, appModule: FIXTURE_APP });
    const g = await work.parallelize(Array.from({ length: 4 }, (_, i) => ({ i, ms: 1 })));
    expect(await g.all({ timeoutMs: 60_000 })).toEqual([0, 1, 2, 3]);
    expect(await fib.run({ n: 3 }, { timeoutMs: 60_000 })).toBe(2);
  });

  it('multi-thread on sqlite: runs everything, scales up to max_processes under load, stops clean', async () => {
    useSqlite();
    app.configure({
      env: {
        ...process.env,
        TASKAPP__BACKEND: 'sqlite',
        TASKAPP__SQLITE__PATH: app.config.sqlite.path,
        TASKAPP__LOGGING_LEVEL: 'error',
        TASKAPP__RUNNER__MIN_PROCESSES: '1',
        TASKAPP__RUNNER__MAX_PROCESSES: '2',
        TASKAPP__RUNNER__IDLE_TIMEOUT_SECONDS: '0.5',
      },
    });
    const g = await work.parallelize(Array.from({ length: 80 }, (_, i) => ({ i, ms: 100 })));
    const mt = await app.startRunner({
      runner: 'multi-thread',
      concurrency: 4,
      appModule: FIXTURE_APP,
    });
    runner = mt;
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, (mt as unknown as { childCount: number }).childCount);
    }, 50);
    expect(await g.all({ timeoutMs: 60_000 })).toHaveLength(80);
    clearInterval(watch);
    expect(most).toBe(2);
    await runner.stop();
    const { state } = await runtimeOf(app).backends();
    expect((await state.countByStatus()).RUNNING ?? 0).toBe(0);
    expect(await state.runners()).toEqual([]);
  });

  // Seen in CI: a child the scaler had told to stop (idle) was told again by the runner's stop(),
  // and the second message made it exit at once, before it removed its runner's row.
  it('a multi-thread child told to stop twice still removes its runner before it exits', async () => {
    useSqlite();
    const rt = runtimeOf(app);
    const b = await rt.backends();
    const { child, ready } = forkGuest({
      app: rt,
      b,
      appModule: [FIXTURE_APP],
      runnerId: 'multi-thread@test',
      mode: 'thread',
      concurrency: 2,
    });
    const exited = new Promise((r) => child.once('exit', r));
    await ready;
    expect((await b.state.runners()).map((r) => r.kind)).toEqual(['thread']);
    child.send({ t: 'stop' });
    child.send({ t: 'stop', graceMs: 0 });
    await exited;
    expect(await b.state.runners()).toEqual([]);
  }, 60_000);

  it('multi-thread refuses the memory backend with a clear error', async () => {
    useMemory();
    await expect(
      app.startRunner({ runner: 'multi-thread', appModule: FIXTURE_APP }),
    ).rejects.toThrow(ConfigError);
    await expect(
      app.startRunner({ runner: 'multi-thread', appModule: FIXTURE_APP }),
    ).rejects.toThrow(/memory backend/);
  });

  it('process runners without appModule fail with a ConfigError that says how to fix it', async () => {
    useMemory();
    await expect(app.startRunner({ runner: 'persistent-process' })).rejects.toThrow(/appModule/);
  });

  it('a task process that cannot load the app fails the start with its error and fix', async () => {
    useMemory();
    const t = tempDir();
    cleanup = t.cleanup;
    const noApp = join(t.dir, 'no-app.mjs');
    writeFileSync(noApp, 'export const answer = 42;\n');
    const err = await app
      .startRunner({ runner: 'persistent-process', concurrency: 1, appModule: noApp })
      .then(
        (r) => {
          runner = r;
        },
        (e: unknown) => e,
      );
    expect(err).toMatchObject({
      code: 'GUEST_START',
      message: expect.stringMatching(/^a task process could not start: .*no-app\.mjs/),
      fix: expect.stringMatching(/^export the app from the module/),
    });
  });

  it('thread runner: worker_threads tasks run off the main thread', async () => {
    useMemory();
    runner = await app.startRunner({ runner: 'thread', concurrency: 2, appModule: FIXTURE_APP });
    const [a, b] = await (
      await spin.parallelize([{ ms: 50 }, { ms: 50 }])
    ).all({ timeoutMs: 60_000 });
    expect(a).toEqual({ n: true, isMainThread: false });
    expect(b).toEqual({ n: true, isMainThread: false });
    expect(await work.run({ i: 1, ms: 1 }, { timeoutMs: 10_000 })).toBe(1);
  });
});
