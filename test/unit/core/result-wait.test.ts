/**
 * A result wait's timeoutMs is checked (a NaN or negative one waited forever or not at all), and a
 * long one waits on timers capped under setTimeout's limit: Node fires a longer timer after 1 ms,
 * with a TimeoutOverflowWarning, so the wait spun on 1 ms timers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../../src/index.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function slowApp() {
  const app = taskapp({ appId: 'result-wait', backend: 'memory', configFile: false });
  apps.push(app);
  const slow = app.task('slow', async ({ ms }: { ms: number }) => {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  });
  return { app, slow };
}

describe('result({ timeoutMs })', () => {
  it('refuses NaN, a negative or a more-than-a-year wait with BAD_PARAMETER and a fix', async () => {
    const { slow } = slowApp();
    const inv = await slow.call({ ms: 1 });
    const group = await slow.parallelize([{ ms: 1 }]);
    for (const timeoutMs of [NaN, -1, 400 * 86_400_000]) {
      await expect(inv.result({ timeoutMs })).rejects.toMatchObject({
        code: 'BAD_PARAMETER',
        message: expect.stringContaining(`timeoutMs: ${timeoutMs}`),
        fix: expect.stringContaining('timeoutMs: 60_000'),
      });
      await expect(group.all({ timeoutMs })).rejects.toMatchObject({ code: 'BAD_PARAMETER' });
    }
  });

  it('waits a month-long timeout without timer overflow and returns the result', async () => {
    const { app, slow } = slowApp();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const runner = await app.startRunner({ concurrency: 2 });
    try {
      const inv = await slow.call({ ms: 300 });
      const group = await slow.parallelize([{ ms: 200 }, { ms: 250 }]);
      expect(await inv.result({ timeoutMs: 30 * 86_400_000 })).toBe(300);
      expect(await group.all({ timeoutMs: 30 * 86_400_000 })).toEqual([200, 250]);
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
      await runner.stop();
    }
  });
});
