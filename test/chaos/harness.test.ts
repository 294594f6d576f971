/**
 * Short seeded runs of the chaos harness (`npm run chaos`) on each backend: runner processes
 * killed, children killed, private servers restarted and cut off, event loops blocked; nothing
 * may be lost and nothing may run twice without a recovery in its history. Longer runs:
 * `npm run chaos -- --backend postgres --runner persistent-process --minutes 5` (README).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runChaos, type ChaosOptions } from './harness/run.js';

const hasServer = (bin: string) => spawnSync(bin, ['--version']).status === 0;
const base = { seconds: 12, runners: 3, rate: 8, drainSeconds: 90, log: () => {} };

const runs: Array<Omit<ChaosOptions, keyof typeof base>> = [
  { backend: 'sqlite', runner: 'thread', seed: 11, faults: ['kill-runner', 'block-loop'] },
  {
    backend: 'redis',
    runner: 'persistent-process',
    seed: 12,
    faults: ['kill-runner', 'kill-child', 'restart-server', 'drop-connections'],
  },
  {
    backend: 'postgres',
    runner: 'thread',
    seed: 13,
    faults: ['kill-runner', 'restart-server', 'drop-connections', 'block-loop'],
  },
];

describe('chaos harness: short seeded runs', () => {
  for (const run of runs) {
    const bin =
      run.backend === 'redis' ? 'redis-server' : run.backend === 'postgres' ? 'pg_ctl' : 'node';
    it.skipIf(!hasServer(bin))(
      `${run.backend} / ${run.runner} with ${run.faults.join(', ')}: nothing lost, no silent duplicate`,
      async () => {
        const report = await runChaos({ ...base, ...run });
        expect(report.called).toBeGreaterThan(0);
        expect({ lost: report.lostDetails, silent: report.silentDetails }).toEqual({
          lost: [],
          silent: [],
        });
        expect(report.ok).toBe(true);
      },
      240_000,
    );
  }
});
