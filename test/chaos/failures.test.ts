/**
 * Tasks that hang past timeout_seconds, call process.exit(), or throw inside a timer, on the
 * process and persistent-process runners (real children, sqlite): the invocation fails with a
 * clear error, the child is gone where it had to be, and the runner keeps working.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskTimeoutError, WorkerExitedError, type Runner } from '../../src/index.js';
import {
  app,
  exits,
  hang,
  hangRetried,
  throwsInTimer,
  waitsTooLong,
  work,
} from './fixtures/app.js';
import { alive, chaosEnv, FIXTURE_APP, until } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { sqlite } from './backends.js';

for (const kind of ['process', 'persistent-process'] as const) {
  describe(`chaos: failures inside tasks on ${kind} (sqlite)`, () => {
    let runner: Runner | undefined;
    let cleanup = () => {};
    let dir = '';
    afterEach(async () => {
      await runner?.stop({ graceMs: 0 });
      await app.close();
      cleanup();
    });

    async function start() {
      const t = tempDir('taskapp-chaos-');
      cleanup = t.cleanup;
      dir = t.dir;
      app.configure({
        env: { ...process.env, ...chaosEnv(sqlite.fresh(dir).env, join(dir, 'out.txt')) },
      });
      runner = await app.startRunner({ runner: kind, processes: 2, appModule: FIXTURE_APP });
    }

    it('a hanging task with timeout_seconds = 1 fails with TaskTimeoutError, its child is killed, other work goes on', async () => {
      await start();
      const pidFile = join(dir, 'pids');
      const hung = await hang.call({ pidFile });
      const retried = await hangRetried.call({ attemptFile: join(dir, 'attempts') });
      const others = await work.parallelize(Array.from({ length: 10 }, (_, i) => ({ i, ms: 20 })));
      // Generous waits: each timeout kills and respawns a child process, slow on a loaded machine.
      await expect(hung.result({ timeoutMs: 90_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
      await expect(retried.result({ timeoutMs: 90_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
      expect(await others.all({ timeoutMs: 90_000 })).toEqual(
        Array.from({ length: 10 }, (_, i) => i),
      );
      expect(readFileSync(join(dir, 'attempts'), 'utf8')).toBe('xx');
      expect((await retried.history()).map((h) => h.status)).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'RETRY',
        'PENDING',
        'RUNNING',
        'FAILED',
      ]);
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      await until(() => !alive(pid), 5000);
      expect(await work.run({ i: 99, ms: 1 }, { timeoutMs: 30_000 })).toBe(99);
    }, 240_000);

    it('a task past its timeout while it waits on another one fails with TaskTimeoutError (not left PAUSED)', async () => {
      await start();
      const parent = await waitsTooLong.call({ i: 5 });
      await expect(parent.result({ timeoutMs: 30_000 })).rejects.toBeInstanceOf(TaskTimeoutError);
      const history = (await parent.history()).map((h) => h.status);
      expect(history).toContain('PAUSED');
      expect(history.at(-1)).toBe('FAILED');
    });

    it('process.exit() and a throw inside a timer fail the invocation clearly; the runner lives', async () => {
      await start();
      const exited = await exits.call({});
      const thrown = await throwsInTimer.call({});
      const err = await exited.result({ timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkerExitedError);
      expect((err as Error).message).toContain('exited with code 3');
      await expect(thrown.result({ timeoutMs: 30_000 })).rejects.toThrow('thrown inside a timer');
      expect(await exited.status()).toBe('FAILED');
      expect(await thrown.status()).toBe('FAILED');
      expect(await work.run({ i: 7, ms: 1 }, { timeoutMs: 30_000 })).toBe(7);
    });
  });
}
