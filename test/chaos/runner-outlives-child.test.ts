/**
 * A persistent-process runner with one child (processes = 1, concurrency 1, sqlite) whose child
 * dies, killed from outside or by the runner itself to enforce a timeout: the runner process lives
 * on (it exits only when told to), starts another child and finishes all queued work.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../../src/index.js';
import { app, hang, work } from './fixtures/app.js';
import { chaosEnv, startRunnerProcess, until, type RunnerProc } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { sqlite } from './backends.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

describe('chaos: a persistent-process runner outlives its only child (sqlite)', () => {
  let runner: RunnerProc | undefined;
  let cleanup = () => {};
  afterEach(async () => {
    if (runner && runner.proc.exitCode === null && runner.proc.signalCode === null) {
      runner.proc.kill('SIGKILL');
    }
    await runner?.exited;
    runner = undefined;
    await app.close();
    cleanup();
  });

  async function start(): Promise<{ dir: string; runner: RunnerProc }> {
    const t = tempDir('taskapp-chaos-');
    cleanup = t.cleanup;
    const env = chaosEnv(sqlite.fresh(t.dir).env, join(t.dir, 'out.txt'));
    app.configure({ env: { ...process.env, ...env } });
    runner = await startRunnerProcess('persistent-process', 1, env);
    return { dir: t.dir, runner };
  }

  /** Waits for `check`, failing at once (with its exit code) if the runner process exits. */
  async function whileAlive(r: RunnerProc, check: () => Promise<boolean> | boolean) {
    let exit: { code: number | null; signal: string | null } | undefined;
    void r.exited.then((e) => (exit = e));
    await until(async () => {
      if (exit) {
        throw new Error(`the runner process exited: ${JSON.stringify(exit)}`);
      }
      return check();
    }, 60_000);
  }

  const successes = async () =>
    (await (await runtimeOf(app).backends()).state.countByStatus()).SUCCESS ?? 0;

  it('its child is killed three times in a row, once running work and then while starting: the runner lives and finishes all work', async () => {
    const { runner: r } = await start();
    const group = await work.parallelize(Array.from({ length: 30 }, (_, i) => ({ i, ms: 150 })));
    await whileAlive(r, async () => (await successes()) >= 3);
    for (let kill = 1; kill <= 3; kill++) {
      const pid = r.children()[0]!;
      process.kill(pid, 'SIGKILL');
      await whileAlive(r, () => r.children()[0] !== pid && r.children()[0]! > 0);
    }
    await whileAlive(r, async () => (await successes()) === 30);
    expect(await group.all({ timeoutMs: 30_000 })).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(r.proc.exitCode).toBeNull();
  });

  it('the runner kills its child to enforce a timeout: it starts another and finishes all work', async () => {
    const { dir, runner: r } = await start();
    const hung = [await hang.call({ pidFile: join(dir, 'pids') })];
    const group = await work.parallelize(Array.from({ length: 5 }, (_, i) => ({ i, ms: 20 })));
    hung.push(await hang.call({ pidFile: join(dir, 'pids') }));
    await whileAlive(r, async () => (await successes()) === 5);
    for (const inv of hung) {
      await expect(inv.result({ timeoutMs: 30_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
    }
    expect(await group.all({ timeoutMs: 30_000 })).toEqual([0, 1, 2, 3, 4]);
    expect(await work.run({ i: 9, ms: 1 }, { timeoutMs: 30_000 })).toBe(9);
    expect(r.proc.exitCode).toBeNull();
  });
});
