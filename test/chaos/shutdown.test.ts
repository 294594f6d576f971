/** SIGTERM during load, on every chaos backend: the runner process exits 0, leaves nothing RUNNING, and the next start finishes the rest. */
import { expect, it } from 'vitest';
import { app, work } from './fixtures/app.js';
import { chaosRunners, linesPerTask, recoveryCounts, until } from './helpers.js';
import { CHAOS_BACKENDS } from './backends.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

for (const backend of CHAOS_BACKENDS) {
  await backend.describe(`chaos: SIGTERM during load (${backend.name})`, () => {
    const runners = chaosRunners(backend, 'taskapp-chaos-');

    for (const kind of ['persistent-process', 'thread'] as const) {
      it(`${kind}: exit 0, nothing RUNNING, unfinished work rerouted (KILLED -> REROUTED) and finished on the next start`, async () => {
        // No grace: work in flight is stopped and rerouted rather than finished.
        const { env } = runners.setUp({
          TASKAPP__RUNNER__SHUTDOWN_GRACE_SECONDS: '0',
        });
        const args = Array.from({ length: 60 }, (_, i) => ({ i, ms: 300 }));
        const group = await work.parallelize(args);
        const first = await runners.start(kind, 2, env);
        const { state } = await runtimeOf(app).backends();
        await until(async () => ((await state.countByStatus()).SUCCESS ?? 0) >= 4);
        first.proc.kill('SIGTERM');
        expect(await first.exited).toEqual({ code: 0, signal: null });
        const counts = await state.countByStatus();
        expect(counts.RUNNING ?? 0).toBe(0);
        expect(counts.PENDING ?? 0).toBe(0);
        expect(counts.SUCCESS ?? 0).toBeLessThan(60);
        expect((await state.runners()).map((r) => r.id)).not.toContain(first.runnerId);
        // More slots on the second start only to finish the rest sooner; the behaviour checked is the same.
        await runners.start(kind, kind === 'thread' ? 10 : 4, env);
        expect(await group.all({ timeoutMs: 60_000 })).toEqual(args.map((a) => a.i));
        const lines = linesPerTask(out(env));
        const { killed, recovered } = await recoveryCounts(app, group.ids);
        expect(recovered).toBe(0);
        expect(killed).toBeGreaterThan(0);
        // Every extra execution is one of its own KILLED -> REROUTED moves (an invocation stopped
        // after it was handed to a child but before its first line ran is rerouted without one).
        let duplicates = 0;
        for (const [k, id] of group.ids.entries()) {
          const runs = lines.get(args[k]!.i) ?? 0;
          const kills = (await state.history(id)).filter((h) => h.status === 'KILLED').length;
          expect(runs, `executions of ${id}`).toBeGreaterThanOrEqual(1);
          expect(runs - 1, `extra executions of ${id} vs its KILLED moves`).toBeLessThanOrEqual(
            kills,
          );
          duplicates += runs - 1;
        }
        expect(duplicates).toBeLessThanOrEqual(killed);
      });
    }
  });
}

const out = (env: Record<string, string>) => env.CHAOS_OUT!;
