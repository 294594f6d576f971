/**
 * Readiness judged from its parts (the HTTP side, with a real runner process, is in
 * test/cli/health.test.ts): a stale heartbeat, a draining runner and a backend that does not
 * answer each fail it, naming why.
 */
import { describe, expect, it } from 'vitest';
import { readiness } from '../../../src/monitoring/health.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import type { Runner, RunnerHealth } from '../../../src/runners/runner.js';

function runtime(get: () => Promise<unknown>): Runtime {
  return {
    config: { runner: { runner_dead_after_seconds: 3 } },
    backends: async () => ({ state: { get } }),
  } as unknown as Runtime;
}
const runner = (h: RunnerHealth) => ({ health: () => h }) as unknown as Runner;
const now = 1_000_000;
const answers = runtime(async () => null);
const byName = (checks: Awaited<ReturnType<typeof readiness>>) =>
  Object.fromEntries(checks.map((c) => [c.name, c]));

describe('readiness', () => {
  it('is ready: running, a beat 1 s ago, the backend answers', async () => {
    const checks = await readiness(
      answers,
      runner({ draining: false, lastBeatAt: now - 1000 }),
      false,
      now,
    );
    expect(checks.every((c) => c.ok)).toBe(true);
  });

  it('is not ready before the runner has started', async () => {
    const c = byName(await readiness(answers, undefined, false, now));
    expect(c.runner).toMatchObject({ ok: false, detail: 'starting' });
    expect(c.heartbeat).toMatchObject({ ok: false, detail: 'no heartbeat yet' });
  });

  it('is not ready with a heartbeat older than runner_dead_after_seconds', async () => {
    const c = byName(
      await readiness(answers, runner({ draining: false, lastBeatAt: now - 3001 }), false, now),
    );
    expect(c.heartbeat!.ok).toBe(false);
    expect(c.heartbeat!.detail).toContain('3001 ms ago');
  });

  it('is not ready once draining (signal received, or the runner stopping)', async () => {
    const beat = { lastBeatAt: now };
    for (const [h, signalled] of [
      [{ ...beat, draining: false }, true],
      [{ ...beat, draining: true }, false],
    ] as const) {
      const c = byName(await readiness(answers, runner(h), signalled, now));
      expect(c.runner).toMatchObject({ ok: false, detail: 'draining' });
    }
  });

  it('is not ready when the backend fails or does not answer in time', async () => {
    const r = runner({ draining: false, lastBeatAt: now });
    const failing = runtime(async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    });
    expect(byName(await readiness(failing, r, false, now)).backend).toMatchObject({
      ok: false,
      detail: 'connect ECONNREFUSED 127.0.0.1:6379',
    });
    const silent = runtime(() => new Promise(() => {}));
    expect(byName(await readiness(silent, r, false, now)).backend).toMatchObject({
      ok: false,
      detail: expect.stringContaining('no answer within'),
    });
  });
});
