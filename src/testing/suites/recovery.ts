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
  });
}
