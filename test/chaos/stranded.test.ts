/**
 * kill -9 of runner processes at random while they run tasks that retry at once, on every chaos
 * backend: no invocation is left waiting (RETRY, REROUTED) with no queue entry. Recovery's requeue
 * of such invocations is switched off here (stranded_after_seconds of an hour), so this holds only
 * because each status and its queue entry are written in one step (issue 15, defect 1).
 */
import { expect, it } from 'vitest';
import { app, bounce } from './fixtures/app.js';
import { chaosRunners, linesPerTask, until } from './helpers.js';
import { CHAOS_BACKENDS } from './backends.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const KILLS = 4;
const FAILS = 4;

for (const backend of CHAOS_BACKENDS) {
  await backend.describe(
    `chaos: kill -9 between RETRY and its queue entry (${backend.name})`,
    () => {
      const runners = chaosRunners(backend, 'taskapp-stranded-');

      it(`${KILLS} runners killed at random mid-retry: every invocation ends SUCCESS, none stranded`, async () => {
        const { env } = runners.setUp({
          TASKAPP__RUNNER__HEARTBEAT_INTERVAL_SECONDS: '0.2',
          TASKAPP__RUNNER__RUNNER_DEAD_AFTER_SECONDS: '1',
          TASKAPP__RUNNER__STRANDED_AFTER_SECONDS: '3600',
        });
        const { state } = await runtimeOf(app).backends();
        const args = Array.from({ length: 150 }, (_, i) => ({ i, fails: FAILS }));
        const group = await bounce.parallelize(args);
        const attempts = () =>
          [...linesPerTask(env.CHAOS_OUT!).values()].reduce((a, b) => a + b, 0);
        for (let k = 0; k < KILLS; k++) {
          const r = await runners.start('thread', 16, env);
          // Let it get busy retrying, then kill it at a random moment.
          const seen = attempts();
          await until(() => attempts() > seen + 20, 20_000).catch(() => {});
          await new Promise((res) => setTimeout(res, 50 + Math.random() * 250));
          r.proc.kill('SIGKILL');
          await r.exited;
        }
        await runners.start('thread', 16, env);
        // Done when nothing is left that the runner can move: waiting ones it would claim, held ones
        // recovery reroutes. What is left waiting then had no queue entry. The counts and the queue
        // are two reads: a claim between them (waiting, then no entry) looks the same, so the
        // answer must hold over two looks in a row.
        let last = '';
        await until(async () => {
          const c = await state.countByStatus();
          const { broker } = await runtimeOf(app).backends();
          if ((c.SUCCESS ?? 0) === args.length) {
            return true;
          }
          const busy = (c.RUNNING ?? 0) + (c.PENDING ?? 0) + (c.PAUSED ?? 0) + (c.RESUMED ?? 0);
          const queued = await broker.count();
          const seen = `${JSON.stringify(c)} ${queued}`;
          const still = busy === 0 && queued === 0 && seen === last;
          last = seen;
          return still;
        }, 60_000);
        const recs = await state.getMany(group.ids);
        const notDone = recs
          .filter((r) => r.status !== 'SUCCESS')
          .map((r) => `${r.id} ${r.status}`);
        expect(notDone).toEqual([]);
        expect(await group.all({ timeoutMs: 10_000 })).toEqual(args.map((a) => a.i));
      }, 150_000); // runner processes started and killed in turn: slow on a loaded machine
    },
  );
}
