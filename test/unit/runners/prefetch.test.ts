/**
 * `[runner] prefetch`: a runner claims invocations ahead of its free slots and holds them until a
 * slot frees. Held work is RUNNING on this runner in the backend, never runs beyond the
 * concurrency, is not taken back by its own reconciliation, is given back to the queue at stop,
 * and a cancel of a held invocation ends it CANCELLED without running it. While its claim is out,
 * slots that free run held work (they waited for the claim's answer before).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type Invocation, type Runner } from '../../../src/index.js';
import type { Status } from '../../../src/core/status.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

function gatedApp(dir: string) {
  const app = taskapp({
    configFile: false,
    appId: 'prefetch',
    backend: 'sqlite',
    sqlite: { path: join(dir, 'db.sqlite') },
    loggingLevel: 'error',
    runner: { reconcileIntervalSeconds: 1 },
  });
  const entered: number[] = [];
  let running = 0;
  let most = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const step = app.task('step', async ({ i }: { i: number }) => {
    entered.push(i);
    most = Math.max(most, ++running);
    await gate;
    running--;
    return i;
  });
  return { app, step, entered, open, most: () => most };
}

const statuses = (invs: Invocation<number>[]): Promise<Status[]> =>
  Promise.all(invs.map((i) => i.status()));
const count = (list: Status[], s: Status): number => list.filter((x) => x === s).length;

describe('[runner] prefetch', () => {
  let runner: Runner | undefined;
  let close = async () => {};
  afterEach(async () => {
    await runner?.stop({ graceMs: 0 });
    runner = undefined;
    await close();
  });

  /**
   * `n` gated invocations and a thread runner of `concurrency` with `prefetch`, once it holds what
   * it can: `concurrency` running and `prefetch` held, all RUNNING on it in the backend.
   */
  async function holding(n: number, concurrency: number, prefetch: number) {
    const t = tempDir();
    const g = gatedApp(t.dir);
    close = async () => {
      await g.app.close();
      t.cleanup();
    };
    const group = await g.step.parallelize(Array.from({ length: n }, (_, i) => ({ i })));
    runner = await g.app.startRunner({ runner: 'thread', concurrency, prefetch });
    await until(
      async () => count(await statuses(group.invocations), 'RUNNING') === concurrency + prefetch,
    );
    return { ...g, group, invs: group.invocations };
  }

  it('claims ahead of free slots, runs no more than the concurrency, and runs each once', async () => {
    const { group, entered, open, most } = await holding(20, 2, 6);
    expect(entered).toHaveLength(2);
    // Reconciliation runs every second: it must not take held work back.
    await new Promise((r) => setTimeout(r, 2500));
    expect(count(await statuses(group.invocations), 'RUNNING')).toBe(8);
    open();
    expect((await group.all({ timeoutMs: 30_000 })).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(entered.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most()).toBe(2);
    for (const inv of group.invocations) {
      expect((await inv.history()).map((h) => h.status)).not.toContain('RUNNING_RECOVERY');
    }
  });

  it('at stop, held invocations go back to the queue at once and run once elsewhere', async () => {
    const { app, group, invs, entered, open } = await holding(10, 1, 5);
    const stopping = runner!.stop({ graceMs: 30_000 });
    // The 5 held are given back before the grace period waits for the running one.
    await until(async () => count(await statuses(invs), 'REROUTED') === 5);
    expect(entered).toHaveLength(1);
    open();
    await stopping;
    const after = await statuses(invs);
    expect(count(after, 'SUCCESS')).toBe(1);
    expect(count(after, 'REROUTED')).toBe(5);
    expect(count(after, 'REGISTERED')).toBe(4);
    runner = await app.startRunner({ runner: 'thread', concurrency: 4 });
    expect((await group.all({ timeoutMs: 30_000 })).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
    expect(entered.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('a cancelled held invocation ends CANCELLED and never runs', async () => {
    const { invs, entered, open } = await holding(4, 1, 3);
    const held = invs[3]!;
    await held.cancel({ reason: 'not wanted' });
    open();
    await until(async () => (await held.status()) === 'CANCELLED');
    expect(await Promise.all(invs.slice(0, 3).map((i) => i.result({ timeoutMs: 30_000 })))).toEqual(
      [0, 1, 2],
    );
    expect(entered.sort()).toEqual([0, 1, 2]);
  });

  it('while its claim is out, slots that free start held work', async () => {
    const t = tempDir();
    const app = taskapp({
      configFile: false,
      appId: 'prefetch-claim-out',
      backend: 'sqlite',
      sqlite: { path: join(t.dir, 'db.sqlite') },
      loggingLevel: 'error',
    });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    close = async () => {
      await app.close();
      t.cleanup();
    };
    const entered: number[] = [];
    const quick = app.task('quick', async ({ i }: { i: number }) => {
      entered.push(i);
      return i;
    });
    const group = await quick.parallelize(Array.from({ length: 10 }, (_, i) => ({ i })));
    // Every claim after the first waits for the gate: the runner then has one claim out while it
    // holds the rest of the first batch.
    const { hot } = await runtimeOf(app).backends();
    let claims = 0;
    const gated =
      <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
      async (...a: A): Promise<R> => {
        if (claims++ > 0) {
          await gate;
        }
        return fn(...a);
      };
    hot.claimAndStart = gated(hot.claimAndStart.bind(hot));
    hot.finishAndClaim = gated(hot.finishAndClaim.bind(hot));
    // Concurrency 1, prefetch 4: the first claim takes 5, the next goes out once 2 are left held.
    runner = await app.startRunner({ runner: 'thread', concurrency: 1, prefetch: 4 });
    try {
      await until(() => claims >= 2);
      // Before: only the invocation launched with the claim ran until the claim came back.
      await until(() => entered.length === 5, 10_000);
      expect(claims).toBe(2);
    } finally {
      open();
    }
    expect((await group.all({ timeoutMs: 30_000 })).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
    expect(entered.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });
});
