/**
 * Paused tasks on every backend that supports pausing (issue 19, item 5): a paused task's queued
 * invocations wait, parked, while other tasks run; new calls to it are parked too; recovery does not
 * requeue what is parked; resume runs each one exactly once; the paused set is stored in the backend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../index.js';
import type { BackendHarness } from '../harness.js';
import { runtimeOf } from '../../runtime/runtime.js';

const WAIT = { timeoutMs: 30_000 };

export function pauseSuite(h: BackendHarness): void {
  describe(`${h.name}: paused tasks`, () => {
    const apps: App[] = [];
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.close()));
    });
    const make = (cfg = h.freshConfig()) => {
      const app = taskapp({ ...cfg, configFile: false });
      apps.push(app);
      return app;
    };

    it('parks a paused task, runs the others, and runs each parked one once on resume', async (ctx) => {
      const app = make();
      const b = await runtimeOf(app).backends();
      if (!b.pauses) {
        ctx.skip();
      }
      const runs: string[] = [];
      const slow = app.task('slow', async ({ tag }: { tag: string }) => {
        runs.push(tag);
        return tag;
      });
      const other = app.task('other', async ({ tag }: { tag: string }) => {
        runs.push(tag);
        return tag;
      });
      const before = [await slow.call({ tag: 'a' }), await slow.call({ tag: 'b' })];
      expect(await app.pauseTask('slow')).toEqual({ task: 'slow', parked: 2 });
      expect(await app.pauseTask('slow')).toEqual({ task: 'slow', parked: 0 });
      await app.startRunner({ concurrency: 4 });
      // Called after the pause: routed, then parked by the claim that takes it (FIFO: before `o`).
      const after = await slow.call({ tag: 'c' });
      expect(await (await other.call({ tag: 'o' })).result(WAIT)).toBe('o');
      expect(await app.pausedTasks()).toEqual({ slow: 3 });
      for (const inv of [...before, after]) {
        expect(await inv.status()).toBe('REGISTERED');
      }
      // Recovery sees a parked entry as queued: nothing requeued, however old.
      const now = Date.now();
      const requeued = await b.hot.requeueStranded(now + 60_000, now, 100);
      expect(requeued.map((r) => r.id)).toEqual([]);

      expect(await app.resumeTask('slow')).toEqual({ task: 'slow', resumed: 3 });
      expect(await app.pausedTasks()).toEqual({});
      for (const inv of [...before, after]) {
        await inv.result(WAIT);
      }
      expect(runs.sort()).toEqual(['a', 'b', 'c', 'o']);
      expect((await after.history()).map((e) => e.status)).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'SUCCESS',
      ]);
    });

    it('the paused set is stored in the backend: another app on it sees it and parks', async (ctx) => {
      if (!h.shared) {
        ctx.skip();
      }
      const cfg = h.freshConfig();
      const first = make(cfg);
      if (!(await runtimeOf(first).backends()).pauses) {
        ctx.skip();
      }
      first.task('t', async () => 1);
      await first.pauseTask('t');
      await first.close();

      const second = make(cfg);
      const t = second.task('t', async () => 2);
      expect(await second.pausedTasks()).toEqual({ t: 0 });
      await second.startRunner({ concurrency: 2 });
      const inv = await t.call({});
      const marker = second.task('marker', async () => 'm');
      expect(await (await marker.call({})).result(WAIT)).toBe('m');
      expect(await inv.status()).toBe('REGISTERED');
      await second.resumeTask('t');
      expect(await inv.result(WAIT)).toBe(2);
    });

    it('refuses an unknown task by name', async () => {
      const app = make();
      app.task('known', async () => 1);
      await expect(app.pauseTask('knwon')).rejects.toMatchObject({ code: 'UNKNOWN_TASK' });
    });
  });
}
