/**
 * A timeout stops the work, not just the wait (issue #15 defect 5), on a real runner process
 * (sqlite, concurrency 2): a task that ignores its aborted signal leaves no side effect after its
 * timeout, fails with TaskTimeoutError (after its retry or rerun, none overlapping), and the
 * runner's other work finishes. On a thread runner, a synchronous loop with a timeout runs in a
 * worker thread that the timeout terminates, so it cannot freeze the runner. Used by one test file
 * per runner kind (each runs its own runner processes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskTimeoutError } from '../../src/index.js';
import { app, hang, ignoresTimeout, ignoresTimeoutRetried, work } from './fixtures/app.js';
import { chaosEnv, linesPerTask, startRunnerProcess, type RunnerProc } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { sqlite } from './backends.js';

/** A body that ignores its signal writes its marker this long after it starts. */
const IGNORING_BODY_MS = 3500;

export function timeoutSuite(kind: 'thread' | 'multi-thread' | 'persistent-process'): void {
  describe(`chaos: a timeout stops the work on ${kind}, concurrency 2 (sqlite)`, () => {
    let runner: RunnerProc | undefined;
    let cleanup = () => {};
    let dir = '';
    let out = '';
    afterEach(async () => {
      if (runner && runner.proc.exitCode === null && runner.proc.signalCode === null) {
        runner.proc.kill('SIGKILL');
      }
      await runner?.exited;
      runner = undefined;
      await app.close();
      cleanup();
    });

    async function start(): Promise<RunnerProc> {
      const t = tempDir('taskapp-chaos-');
      cleanup = t.cleanup;
      dir = t.dir;
      out = join(dir, 'out.txt');
      const env = chaosEnv(sqlite.fresh(dir).env, out);
      app.configure({ env: { ...process.env, ...env } });
      runner = await startRunnerProcess(kind, 1, env, 2);
      return runner;
    }

    const others = () => work.parallelize(Array.from({ length: 6 }, (_, i) => ({ i, ms: 50 })));

    it('a task that ignores its signal writes nothing after its timeout, fails with TaskTimeoutError (retries included), and the other work finishes', async () => {
      const r = await start();
      const marker = join(dir, 'late.txt');
      const ignored = await ignoresTimeout.call({ i: 100, marker });
      const retried = await ignoresTimeoutRetried.call({ i: 200, marker });
      const group = await others();
      await expect(ignored.result({ timeoutMs: 40_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
      await expect(retried.result({ timeoutMs: 40_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
      expect(await group.all({ timeoutMs: 40_000 })).toEqual([0, 1, 2, 3, 4, 5]);
      // A retry is one attempt more; so is a rerun after a neighbour's timeout ended the shared child.
      const history = (await retried.history()).map((h) => h.status);
      const again = history.filter((s) => s === 'RETRY' || s === 'RUNNING_RECOVERY');
      expect(again.length).toBeGreaterThanOrEqual(1);
      expect(history.at(-1)).toBe('FAILED');
      expect(linesPerTask(out).get(200)).toBe(history.filter((s) => s === 'RUNNING').length);
      // Past the time the last body to start would have written its marker, none may have.
      const starts = readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('ignores '))
        .map((l) => Number(l.split(' ')[3]));
      const writeAt = Math.max(...starts) + IGNORING_BODY_MS + 250;
      await new Promise((res) => setTimeout(res, Math.max(0, writeAt - Date.now())));
      expect(existsSync(marker) ? readFileSync(marker, 'utf8') : '').toBe('');
      expect(r.proc.exitCode).toBeNull();
    });

    if (kind === 'thread') {
      it('a synchronous loop with a timeout does not freeze it: the loop fails with TaskTimeoutError and the 6 other tasks run', async () => {
        const r = await start();
        const hung = await hang.call({ pidFile: join(dir, 'pids') });
        const group = await others();
        expect(await group.all({ timeoutMs: 20_000 })).toEqual([0, 1, 2, 3, 4, 5]);
        await expect(hung.result({ timeoutMs: 20_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
        expect(await work.run({ i: 9, ms: 1 }, { timeoutMs: 20_000 })).toBe(9);
        expect(r.proc.exitCode).toBeNull();
      });
    }
  });
}
