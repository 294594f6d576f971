/** Recovery of a dead runner's work, on the backend under test: a cap on reruns per invocation. */
import { afterEach, describe, expect, it } from 'vitest';
import { RecoveryLimitError, taskapp, type App } from '../../index.js';
import { recoverOnce, recoveryCapOf } from '../../runtime/recovery.js';
import type { BackendHarness } from '../harness.js';
import { runtimeOf } from '../../runtime/runtime.js';

export function recoverySuite(h: BackendHarness): void {
  describe(`${h.name}: recovery`, () => {
    let app: App;
    afterEach(async () => {
      await app?.close();
    });

    it('reruns an invocation whose runner died at most max_recoveries times, then ends it FAILED with RecoveryLimitError', async () => {
      app = taskapp({ ...h.freshConfig(), configFile: false, runner: { maxRecoveries: 2 } });
      const freeze = app.task('freeze', async (_: { n: number }) => 'never reached');
      const b = await runtimeOf(app).backends();
      const inv = await freeze.call({ n: 1 });
      const cfg = app.config.runner;
      const cap = recoveryCapOf(runtimeOf(app));
      // Each round a runner takes it and dies (it never heartbeats: its row is absent).
      for (let round = 1; round <= 3; round++) {
        const started = await b.hot.claimAndStart(1, 1000, `doomed-${round}`);
        expect(started.map((r) => r.id)).toEqual([inv.id]);
        const report = await recoverOnce(b, cfg, 'survivor', Date.now(), { cap });
        if (round <= 2) {
          expect(report).toMatchObject({ running: [inv.id], failed: [] });
        } else {
          expect(report).toMatchObject({ running: [], failed: [inv.id] });
        }
      }
      expect(await inv.status()).toBe('FAILED');
      const history = (await inv.history()).map((e) => e.status);
      expect(history.filter((s) => s === 'RUNNING_RECOVERY')).toHaveLength(3);
      expect(history.slice(-2)).toEqual(['RUNNING_RECOVERY', 'FAILED']);
      const err = await inv.result({ timeoutMs: 5_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RecoveryLimitError);
      expect(err).toMatchObject({ code: 'RECOVERY_LIMIT', recoveries: 2, maxRecoveries: 2 });
      expect((err as Error).message).toMatch(/max_recoveries/);
      // Nothing left in the queue to run it again.
      expect(await b.hot.claimAndStart(1, 0, 'late')).toEqual([]);
    });

    it('a live runner reruns, once, work the backend records as running on it but it is not running (a lost write)', async () => {
      app = taskapp({
        ...h.freshConfig(),
        configFile: false,
        runner: { reconcileIntervalSeconds: 1 },
      });
      let runs = 0;
      const double = app.task('double', async ({ n }: { n: number }) => {
        runs += 1;
        return n * 2;
      });
      const b = await runtimeOf(app).backends();
      const inv = await double.call({ n: 21 });
      const runner = await app.startRunner({ concurrency: 2, autorun: false });
      // The backend records it RUNNING on the live runner, which never got it: what a write lost
      // in a failover (or an answer lost on the way) leaves. Heartbeats alone never recover it.
      const [claimed] = await b.hot.claimAndStart(1, 1000, runner.id);
      expect(claimed).toMatchObject({ id: inv.id, status: 'RUNNING', owner: runner.id });
      runner.run();
      expect(await inv.result({ timeoutMs: 30_000 })).toBe(42);
      expect(runs).toBe(1);
      const history = (await inv.history()).map((e) => e.status);
      expect(history.filter((s) => s === 'RUNNING_RECOVERY')).toHaveLength(1);
      expect(history.filter((s) => s === 'SUCCESS')).toHaveLength(1);
      expect(runner.health().draining).toBe(false);
    });

    it('a live runner leaves alone the work it is running, however long it runs', async () => {
      app = taskapp({
        ...h.freshConfig(),
        configFile: false,
        runner: { reconcileIntervalSeconds: 1 },
      });
      let runs = 0;
      const slow = app.task('slow', async ({ ms }: { ms: number }) => {
        runs += 1;
        await new Promise((r) => setTimeout(r, ms));
        return 'done';
      });
      await app.startRunner({ concurrency: 2 });
      // Several reconciliation passes while it runs.
      const inv = await slow.call({ ms: 3_500 });
      expect(await inv.result({ timeoutMs: 30_000 })).toBe('done');
      expect(runs).toBe(1);
      expect((await inv.history()).map((e) => e.status)).not.toContain('RUNNING_RECOVERY');
    });
  });
}
