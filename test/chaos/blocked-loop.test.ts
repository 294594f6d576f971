/**
 * A task that blocks its runner's event loop (a synchronous loop, issue #16: a newcomer's 7 s
 * loop) on two thread runner processes: neither runner is declared dead while the other is
 * blocked, so each invocation runs exactly once and ends SUCCESS (was: rerun forever).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { app, blockLoop } from './fixtures/app.js';
import {
  chaosEnv,
  linesPerTask,
  recoveryCounts,
  startRunnerProcess,
  type RunnerProc,
} from './helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { redis, sqlite } from './backends.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

for (const backend of [sqlite, redis]) {
  await backend.describe(`chaos: a task blocking the event loop (${backend.name})`, () => {
    const procs: RunnerProc[] = [];
    let cleanup = async () => {};
    afterEach(async () => {
      const all = procs.splice(0);
      for (const p of all) {
        if (p.proc.exitCode === null) {
          p.proc.kill('SIGKILL');
        }
      }
      await Promise.all(all.map((p) => p.exited));
      await app.close();
      await cleanup();
    });

    it('two thread runner processes, each blocked 7 s by a synchronous loop: each invocation runs once and ends SUCCESS', async () => {
      const t = tempDir('taskapp-chaos-');
      const storage = backend.fresh(t.dir);
      cleanup = async () => {
        await storage.cleanup();
        t.cleanup();
      };
      const env = chaosEnv(storage.env, join(t.dir, 'out.txt'));
      app.configure({ env: { ...process.env, ...env } });
      // One slot each: each runner takes one of the two and is blocked by it.
      procs.push(await startRunnerProcess('thread', 1, env));
      procs.push(await startRunnerProcess('thread', 1, env));
      const group = await blockLoop.parallelize([
        { i: 0, ms: 7000 },
        { i: 1, ms: 7000 },
      ]);
      expect(await group.all({ timeoutMs: 45_000 })).toEqual([0, 1]);
      const { state } = await runtimeOf(app).backends();
      const recs = await state.getMany(group.ids);
      expect(recs.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
      expect(await recoveryCounts(app, group.ids)).toMatchObject({ recovered: 0, running: 2 });
      const out = join(t.dir, 'out.txt');
      expect([...linesPerTask(out).values()]).toEqual([1, 1]);
      // One in each runner process: both runners were blocked at the same time.
      const pids = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[2]);
      expect(new Set(pids).size).toBe(2);
    });
  });
}
