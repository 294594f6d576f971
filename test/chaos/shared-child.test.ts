/**
 * One persistent-process child running several invocations at once (processes 1, concurrency 4,
 * sqlite): they overlap in it; a timeout ends only its own invocation when the child can still
 * enforce it; and when the child has to die (stuck in synchronous code, process.exit()), the
 * invocations it held besides the culprit are rerun and each finishes exactly once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskTimeoutError, WorkerExitedError } from '../../src/index.js';
import type { PersistentProcessRunner } from '../../src/runners/persistent-process.js';
import { app, exits, hang, meet, stall, waitsTooLong, work } from './fixtures/app.js';
import { alive, chaosEnv, FIXTURE_APP, linesPerTask, until } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { sqlite } from './backends.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

describe('chaos: several invocations in one persistent-process child (sqlite)', () => {
  let runner: PersistentProcessRunner | undefined;
  let cleanup = () => {};
  let dir = '';
  let out = '';
  afterEach(async () => {
    await runner?.stop({ graceMs: 0 });
    runner = undefined;
    await app.close();
    delete process.env.CHAOS_OUT;
    cleanup();
  });

  async function start(): Promise<PersistentProcessRunner> {
    const t = tempDir('taskapp-chaos-');
    cleanup = t.cleanup;
    dir = t.dir;
    out = join(dir, 'out.txt');
    process.env.CHAOS_OUT = out; // children inherit this process's env (the fixture reads it there)
    app.configure({ env: { ...process.env, ...chaosEnv(sqlite.fresh(dir).env, out) } });
    runner = (await app.startRunner({
      runner: 'persistent-process',
      processes: 1,
      concurrency: 4,
      appModule: FIXTURE_APP,
    })) as PersistentProcessRunner;
    return runner;
  }

  const statuses = async (inv: { history(): Promise<Array<{ status: string }>> }) =>
    (await inv.history()).map((h) => h.status);

  /** Three `work` invocations sleeping in the child, each past its first line. */
  async function busyNeighbours() {
    const group = await work.parallelize([0, 1, 2].map((i) => ({ i, ms: 1500 })));
    await until(() => [0, 1, 2].every((i) => linesPerTask(out).get(i) === 1));
    return group;
  }

  /** Each neighbour was rerun once after its child died and finished exactly once. */
  async function expectRerunOnce(group: Awaited<ReturnType<typeof busyNeighbours>>): Promise<void> {
    expect(await group.all({ timeoutMs: 30_000 })).toEqual([0, 1, 2]);
    const lines = linesPerTask(out);
    for (const [k, inv] of group.invocations.entries()) {
      const h = await statuses(inv);
      expect(
        h.filter((s) => s === 'SUCCESS'),
        `final statuses of ${inv.id}`,
      ).toHaveLength(1);
      expect(
        h.filter((s) => s === 'RUNNING_RECOVERY'),
        `recoveries of ${inv.id}`,
      ).toHaveLength(1);
      expect(lines.get(k), `executions of ${inv.id}`).toBe(2);
    }
  }

  it('one child runs up to `concurrency` invocations at once', async () => {
    const r = await start();
    const group = await meet.parallelize(Array.from({ length: 4 }, () => ({ key: 'four', n: 4 })));
    const pids = await group.all({ timeoutMs: 60_000 });
    expect(pids).toEqual(Array(4).fill(r.childPids[0]));
    for (const inv of group.invocations) {
      expect(await statuses(inv)).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'SUCCESS']);
    }
  });

  it('an async task past timeout_seconds fails in the child; the child and its other invocations live on', async () => {
    const r = await start();
    const pid = r.childPids[0];
    const stalled = await stall.call({ i: 100 });
    const others = await meet.parallelize(
      Array.from({ length: 3 }, () => ({ key: 'three', n: 3 })),
    );
    await expect(stalled.result({ timeoutMs: 30_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(await others.all({ timeoutMs: 30_000 })).toEqual([pid, pid, pid]);
    expect(await statuses(stalled)).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'FAILED']);
    expect(r.childPids).toEqual([pid]);
    expect(r.spawned).toBe(1);
  });

  it('a task past its timeout while it waits on another one: its wait ends (TaskTimeoutError), the child lives on', async () => {
    const r = await start();
    const parent = await waitsTooLong.call({ i: 7 });
    await expect(parent.result({ timeoutMs: 30_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
    expect((await statuses(parent)).at(-1)).toBe('FAILED');
    // The awaited invocation finishes in the same child, well after the child would have been killed.
    const { state } = await runtimeOf(app).backends();
    await until(async () => (await state.countByStatus()).SUCCESS === 1);
    expect(linesPerTask(out).get(7)).toBe(1);
    expect(r.spawned).toBe(1);
  });

  it('a task stuck in synchronous code: killed past its timeout (TaskTimeoutError), its neighbours rerun and finish once', async () => {
    const r = await start();
    const neighbours = await busyNeighbours();
    const pidFile = join(dir, 'pids');
    const hung = await hang.call({ pidFile });
    await expect(hung.result({ timeoutMs: 30_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
    expect(await statuses(hung)).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'FAILED']);
    await expectRerunOnce(neighbours);
    await until(() => !alive(Number(readFileSync(pidFile, 'utf8').trim())), 5000);
    expect(r.spawned).toBe(2);
  });

  it('process.exit() in one invocation fails only that one (WorkerExitedError); its neighbours rerun and finish once', async () => {
    await start();
    const neighbours = await busyNeighbours();
    const exited = await exits.call({});
    const err = await exited.result({ timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerExitedError);
    expect(await statuses(exited)).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'FAILED']);
    await expectRerunOnce(neighbours);
  });
});
