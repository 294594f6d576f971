/**
 * kill -9 of children (each running up to 4 invocations at once), of a whole runner process, and of
 * one holding invocations claimed ahead of its slots (prefetch),
 * with real processes, on every chaos backend (same test code): every invocation reaches SUCCESS
 * exactly once, and every extra execution is one a recovery explains.
 */
import { expect, it } from 'vitest';
import { app, work } from './fixtures/app.js';
import { chaosRunners, linesPerTask, recoveryCounts, until } from './helpers.js';
import { CHAOS_BACKENDS } from './backends.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

for (const backend of CHAOS_BACKENDS) {
  await backend.describe(`chaos: kill -9 on persistent-process (${backend.name})`, () => {
    const runners = chaosRunners(backend, 'taskapp-chaos-');

    const setup = () => runners.setUp();

    const args = Array.from({ length: 200 }, (_, i) => ({ i, ms: 50 + ((i * 37) % 151) }));

    async function countStatus(status: string): Promise<number> {
      return (await (await runtimeOf(app).backends()).state.countByStatus())[status] ?? 0;
    }

    /**
     * Every extra execution of an invocation is explained by one of its own recoveries, and the
     * totals match. A recovered invocation may also have run only once: it was marked RUNNING and
     * handed to the process that was killed before the task's first line ran (a gap of microseconds),
     * so the check is per invocation (executions <= 1 + its recoveries), with the totals reported.
     */
    async function expectNoSilentDuplicates(
      lines: Map<number, number>,
      ids: string[],
      recovered: number,
    ): Promise<void> {
      const { state } = await runtimeOf(app).backends();
      let duplicates = 0;
      for (const [k, id] of ids.entries()) {
        const runs = lines.get(args[k]!.i) ?? 0;
        const history = await state.history(id);
        const recoveries = history.filter((h) => h.status === 'RUNNING_RECOVERY').length;
        expect(
          history.filter((h) => h.status === 'SUCCESS'),
          `final statuses of ${id}`,
        ).toHaveLength(1);
        expect(runs, `executions of ${id}`).toBeGreaterThanOrEqual(1);
        expect(runs - 1, `extra executions of ${id} vs its recoveries`).toBeLessThanOrEqual(
          recoveries,
        );
        duplicates += runs - 1;
      }
      expect(duplicates).toBeLessThanOrEqual(recovered);
    }

    /**
     * Each of `ids`, RUNNING on the killed runner `runnerId`, was recovered or its finish was
     * already on its way: a statement the dead runner sent before the kill still commits on a
     * server (PostgreSQL runs it to the end), so it ends SUCCESS written by that runner, unrecovered.
     */
    async function expectRecoveredOrFinishedBy(ids: string[], runnerId: string): Promise<void> {
      const { state } = await runtimeOf(app).backends();
      for (const id of ids) {
        const history = await state.history(id);
        const recovered = history.some((h) => h.status === 'RUNNING_RECOVERY');
        const finishedByIt = history.some((h) => h.status === 'SUCCESS' && h.runnerId === runnerId);
        expect(recovered || finishedByIt, `${id}: ${JSON.stringify(history)}`).toBe(true);
      }
    }

    it('kill -9 of two children mid-run: all 200 SUCCESS, every duplicate explained by a recovery', async () => {
      const { env, out } = setup();
      const group = await work.parallelize(args);
      const r = await runners.start('persistent-process', 4, env);
      await until(async () => (await countStatus('SUCCESS')) >= 20);
      const [a, b] = r.children();
      process.kill(a!, 'SIGKILL');
      await until(async () => (await countStatus('SUCCESS')) >= 60);
      process.kill(b!, 'SIGKILL');
      expect(await group.all({ timeoutMs: 90_000 })).toEqual(args.map((a) => a.i));
      await until(
        () =>
          !r.children().includes(a!) &&
          !r.children().includes(b!) &&
          r.children().every((p) => p > 0),
      );
      const lines = linesPerTask(out);
      expect(lines.size).toBe(200);
      const { recovered } = await recoveryCounts(app, group.ids);
      expect(recovered).toBeGreaterThanOrEqual(2);
      await expectNoSilentDuplicates(lines, group.ids, recovered);
    });

    it('kill -9 of the runner process: a runner started afterwards finishes everything', async () => {
      const { env, out } = setup();
      const group = await work.parallelize(args);
      const first = await runners.start('persistent-process', 4, env);
      await until(async () => (await countStatus('SUCCESS')) >= 30);
      first.proc.kill('SIGKILL');
      await first.exited;
      const { state } = await runtimeOf(app).backends();
      const running = (await state.getMany(group.ids))
        .filter((r) => r.status === 'RUNNING')
        .map((r) => r.id);
      expect(running.length).toBeGreaterThan(0);
      await runners.start('persistent-process', 4, env);
      expect(await group.all({ timeoutMs: 90_000 })).toEqual(args.map((a) => a.i));
      const lines = linesPerTask(out);
      expect(lines.size).toBe(200);
      await expectRecoveredOrFinishedBy(running, first.runnerId);
      const { recovered } = await recoveryCounts(app, group.ids);
      expect(recovered).toBeGreaterThan(0);
      await expectNoSilentDuplicates(lines, group.ids, recovered);
      expect((await state.runners()).map((x) => x.id)).not.toContain(first.runnerId);
    });

    it('kill -9 of a runner holding prefetched work: what it held is recovered and runs', async () => {
      const { env, out } = setup();
      const group = await work.parallelize(args);
      const first = await runners.start('persistent-process', 4, {
        ...env,
        TASKAPP__RUNNER__PREFETCH: '40',
      });
      await until(async () => (await countStatus('SUCCESS')) >= 30);
      first.proc.kill('SIGKILL');
      await first.exited;
      const ran = linesPerTask(out);
      const { state } = await runtimeOf(app).backends();
      // RUNNING on the killed runner without having run: held there (claimed ahead of its slots).
      const held = (await state.getMany(group.ids)).flatMap((r, k) =>
        r.status === 'RUNNING' && !ran.has(args[k]!.i) ? [{ id: r.id, i: args[k]!.i }] : [],
      );
      expect(held.length).toBeGreaterThan(0);
      await runners.start('persistent-process', 4, env);
      expect(await group.all({ timeoutMs: 90_000 })).toEqual(args.map((a) => a.i));
      const lines = linesPerTask(out);
      expect(lines.size).toBe(200);
      await expectRecoveredOrFinishedBy(
        held.map((h) => h.id),
        first.runnerId,
      );
      for (const h of held) {
        expect(lines.get(h.i), `executions of ${h.id}`).toBeGreaterThanOrEqual(1);
      }
      const { recovered } = await recoveryCounts(app, group.ids);
      await expectNoSilentDuplicates(lines, group.ids, recovered);
    });
  });
}
