/** The cron part of the trigger loop, driven by a fake clock: tick(now) by hand, no runner. */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../../src/app/app.js';
import { on } from '../../../src/triggers/conditions.js';
import { TriggerScheduler } from '../../../src/triggers/scheduler.js';
import { cronRunId, invocationIdFor } from '../../../src/triggers/fire.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

const T0 = Date.parse('2024-06-01T10:00:00Z');
let app: App;
afterEach(async () => {
  await app?.close();
});

async function setup(
  trigger: ReturnType<typeof on.cron>,
  startedAt: number,
  config: Record<string, unknown> = {},
) {
  app = taskapp({ appId: 'clock', backend: 'memory', configFile: false, ...config });
  app.task('tick', async (a) => a, { triggers: trigger.withArgs((ctx) => ({ slot: ctx.slot })) });
  const b = await runtimeOf(app).backends();
  const runners = [
    new TriggerScheduler(runtimeOf(app), b, { startedAt }),
    new TriggerScheduler(runtimeOf(app), b, { startedAt }),
  ];
  const slots = async () =>
    (await b.state.list({ taskId: 'tick' }))
      .map((r) => (JSON.parse(r.args) as { slot: number }).slot)
      .sort((x, y) => x - y);
  return { b, runners, slots };
}

describe('cron firing with a fake clock', () => {
  it('two runners ticking at the same times fire each slot once, in order', async () => {
    const { runners, slots } = await setup(on.cron('* * * * * *'), T0 + 200);
    for (let t = T0 + 300; t <= T0 + 10_050; t += 250) {
      for (const r of runners) {
        await r.tick(t);
      }
    }
    const got = await slots();
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (i + 1) * 1000));
  });

  it('a stalled runner fires every slot it missed while alive (within the grace), once each', async () => {
    const { runners, slots } = await setup(on.cron('* * * * * *'), T0 + 50);
    await runners[0]!.tick(T0 + 100);
    await runners[0]!.tick(T0 + 2_500); // stalled 2.4 s: slots +1 s and +2 s are both due
    expect(await slots()).toEqual([T0 + 1000, T0 + 2000]);
  });

  it('a runner joining late fires a slot its peer missed only if it follows the last fired one', async () => {
    const { b, runners, slots } = await setup(on.cron('* * * * * *'), T0 + 5_500);
    await b.triggers.casLastFire('tick:0', null, T0 + 4_000); // a peer fired 10:00:04, then stalled
    await runners[0]!.tick(T0 + 5_600); // 10:00:05 came before our start but follows the chain
    expect(await slots()).toEqual([T0 + 5_000]);
  });

  it('skips slots missed while no runner was alive (catch_up_seconds 0)', async () => {
    const { runners, slots } = await setup(on.cron('0 * * * * *'), T0 + 30_000);
    await runners[0]!.tick(T0 + 30_000); // started 30 s after the 10:00:00 slot
    await runners[1]!.tick(T0 + 60_500); // the next slot is on time
    expect(await slots()).toEqual([T0 + 60_000]);
  });

  it('catch_up_seconds fires the latest missed slot once on start, never a flood', async () => {
    const { b, runners, slots } = await setup(on.cron('0 * * * * *'), T0 + 30_000, {
      triggers: { catchUpSeconds: 3600 },
    });
    await b.triggers.casLastFire('tick:0', null, T0 - 3_600_000); // last fired an hour ago, then all runners were down
    await runners[0]!.tick(T0 + 30_000);
    await runners[1]!.tick(T0 + 30_100);
    expect(await slots()).toEqual([T0]);
  });

  it('minIntervalSeconds drops slots closer than that to the last fire', async () => {
    const { runners, slots } = await setup(
      on.cron('* * * * * *', { minIntervalSeconds: 3 }),
      T0 + 400,
    );
    for (let t = T0 + 500; t <= T0 + 9_600; t += 1000) {
      await runners[0]!.tick(t);
    }
    expect(await slots()).toEqual([T0 + 1000, T0 + 4000, T0 + 7000]);
  });

  it('a paused trigger does not fire; after resume, slots missed meanwhile are skipped', async () => {
    const { b, runners, slots } = await setup(on.cron('* * * * * *'), T0 + 900);
    await runners[0]!.tick(T0 + 1_100);
    await b.triggers.setPaused('tick:0', true);
    for (let t = T0 + 2_100; t <= T0 + 9_100; t += 1000) {
      await runners[0]!.tick(t);
    }
    await b.triggers.setPaused('tick:0', false);
    await runners[0]!.tick(T0 + 10_100);
    expect(await slots()).toEqual([T0 + 1000, T0 + 10_000]);
  });

  it('repairs a slot whose runner died between winning it and registering the invocation, once', async () => {
    const { b, runners, slots } = await setup(on.cron('0 * * * * *'), T0);
    await b.triggers.casLastFire('tick:0', null, T0 + 60_000); // a runner won 10:01:00, then died
    expect(await b.triggers.claimRun(cronRunId('tick:0', T0 + 60_000), T0 + 60_010)).toBe(true);
    for (const r of runners) {
      await r.tick(T0 + 60_500);
    }
    expect(await slots()).toEqual([]);
    for (const r of runners) {
      await r.tick(T0 + 64_000);
    } // past the grace (runner_dead_after_seconds 3)
    for (const r of runners) {
      await r.tick(T0 + 65_000);
    }
    expect(await slots()).toEqual([T0 + 60_000]);
    expect(
      (await b.state.get(invocationIdFor('clock', cronRunId('tick:0', T0 + 60_000))))?.taskId,
    ).toBe('tick');
  });
});
