/**
 * A task that blocks its runner's event loop (a synchronous loop, issue #16: a newcomer's 7 s
 * loop) on two thread runner processes: neither runner is declared dead while the other is
 * blocked, so each invocation runs exactly once and ends SUCCESS (was: rerun forever).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { app, blockLoop } from './fixtures/app.js';
import { chaosRunners, linesPerTask, recoveryCounts } from './helpers.js';
import { redis, sqlite } from './backends.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

for (const backend of [sqlite, redis]) {
  await backend.describe(`chaos: a task blocking the event loop (${backend.name})`, () => {
    const runners = chaosRunners(backend, 'taskapp-chaos-');

    it('two thread runner processes, each blocked 7 s by a synchronous loop: each invocation runs once and ends SUCCESS', async () => {
      const { env, out } = runners.setUp();
      // One slot each: each runner takes one of the two and is blocked by it.
      await runners.start('thread', 1, env);
      await runners.start('thread', 1, env);
      const group = await blockLoop.parallelize([
        { i: 0, ms: 7000 },
        { i: 1, ms: 7000 },
      ]);
      expect(await group.all({ timeoutMs: 45_000 })).toEqual([0, 1]);
      const { state } = await runtimeOf(app).backends();
      const recs = await state.getMany(group.ids);
      expect(recs.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
      expect(await recoveryCounts(app, group.ids)).toMatchObject({ recovered: 0, running: 2 });
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
