/**
 * Issue 16: a parent fanning out with `parallelize` and awaiting `group.all()` on a process runner
 * ended FAILED (`illegal status change RESUMED -> RESUMED`) although every child succeeded. A
 * child process sends its pause without waiting for it, then its resume once the results are in;
 * when the PAUSED write was slower than the RESUMED one (two writes of one runner in flight at once
 * on a database pool), RESUMED reached the database first and was refused. These tests make the
 * PAUSED write slow on purpose, and run the fan-out of the report on postgres.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Backends } from '../../../src/backends/registry.js';
import type { TransitionRequest } from '../../../src/core/records.js';
import type { Runner } from '../../../src/index.js';
import { describeWithService } from '../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../../helpers/postgres.js';
import { app, fanOut } from './fixtures/fanout-app.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';
import { fixtureModule } from '../../helpers/build.js';

const FANOUT_APP = fixtureModule(new URL('./fixtures/fanout-app.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every write that carries a PAUSED change waits `ms` first: a busy pool or a slow statement. */
function slowPauses(b: Backends, ms: number): void {
  const pausing = (reqs: TransitionRequest[]) => reqs.some((r) => r.to === 'PAUSED');
  const many = b.orchestrator.transitionMany.bind(b.orchestrator);
  b.orchestrator.transitionMany = async (reqs, now) => {
    if (pausing(reqs)) {
      await sleep(ms);
    }
    return many(reqs, now);
  };
  const fused = b.hot.finishAndClaim.bind(b.hot);
  b.hot.finishAndClaim = async (done, max, runnerId) => {
    if (pausing(done)) {
      await sleep(ms);
    }
    return fused(done, max, runnerId);
  };
}

/** Statuses between RUNNING and the end: strictly PAUSED, RESUMED, PAUSED, RESUMED, ... */
function expectAlternating(statuses: string[]): void {
  const waits = statuses.slice(statuses.indexOf('RUNNING') + 1, -1);
  expect(waits.length % 2).toBe(0);
  waits.forEach((s, i) => expect(s).toBe(i % 2 === 0 ? 'PAUSED' : 'RESUMED'));
}

describe('wait hooks of a process runner', () => {
  let runner: Runner | undefined;
  afterEach(async () => {
    await runner?.stop({ graceMs: 0 });
    runner = undefined;
    await app.close();
  });

  it('a slow PAUSED write still lands before its RESUMED: the fan-out parent succeeds', async () => {
    app.configure({
      env: { ...process.env, TASKAPP__BACKEND: 'memory', TASKAPP__LOGGING_LEVEL: 'error' },
    });
    slowPauses(await runtimeOf(app).backends(), 150);
    runner = await app.startRunner({
      runner: 'persistent-process',
      processes: 1,
      concurrency: 8,
      appModule: FANOUT_APP,
    });
    const parents = await Promise.all([fanOut.call({ n: 6 }), fanOut.call({ n: 6 })]);
    for (const p of parents) {
      await p.result({ timeoutMs: 8_000 }).catch(() => {});
      const statuses = (await p.history()).map((h) => h.status);
      expect(statuses.at(-1)).toBe('SUCCESS');
      expect(statuses).toContain('PAUSED');
      expectAlternating(statuses);
      expect(await p.result()).toBe(15);
    }
  }, 60_000);
});

const scope = pgScope('waithooks');
await describeWithService('postgres', PG_HOST, PG_PORT, 'fan-out on postgres', () => {
  let runner: Runner | undefined;
  afterAll(async () => {
    await runner?.stop({ graceMs: 0 });
    await app.close();
    await scope.cleanup();
  });

  it('12 parents x 50 children on persistent-process (concurrency 16): every parent succeeds', async () => {
    app.configure({
      env: {
        ...process.env,
        TASKAPP__BACKEND: 'postgres',
        TASKAPP__POSTGRES__URL: PG_URL,
        TASKAPP__POSTGRES__SCHEMA: scope.next(),
        TASKAPP__LOGGING_LEVEL: 'error',
      },
    });
    runner = await app.startRunner({
      runner: 'persistent-process',
      processes: 2,
      concurrency: 16,
      appModule: FANOUT_APP,
    });
    const parents = await Promise.all(Array.from({ length: 12 }, () => fanOut.call({ n: 50 })));
    const outcomes = await Promise.all(
      parents.map((p) => p.result({ timeoutMs: 45_000 }).catch((e: Error) => e.message)),
    );
    expect(outcomes).toEqual(parents.map(() => 1225));
    for (const p of parents) {
      expectAlternating((await p.history()).map((h) => h.status));
    }
  }, 60_000);
});
