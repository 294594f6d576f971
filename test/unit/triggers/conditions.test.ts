/**
 * status / result / exception / event / AND / OR triggers, with two runners (two trigger loops):
 * each fires the right task with the right arguments, once. On sqlite the two runners are two apps
 * on one database file, as two processes would be.
 */
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../../src/app/app.js';
import { on } from '../../../src/triggers/conditions.js';
import type { Runner } from '../../../src/runners/runner.js';
import { tempDir } from '../../helpers/tmp.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

class CardDeclined extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CardDeclined';
  }
}

type Charge = { orderId: number; amount: number; fail?: boolean };

function defineApp(cfg: Record<string, unknown>): App {
  const app = taskapp({
    appId: 'trig',
    configFile: false,
    errors: [CardDeclined],
    triggers: { checkIntervalMs: 20 },
    ...cfg,
  });
  const charge = app.task('charge', async ({ orderId, amount, fail }: Charge) => {
    if (fail) {
      throw new CardDeclined(`order ${orderId} declined`);
    }
    return { orderId, amount };
  });
  const a = app.task('a', async ({ x }: { x: number }) => x * 10);
  const echo = async (args: Record<string, unknown>) => args;
  app.task('notify', echo, {
    triggers: on
      .status(charge, ['SUCCESS'])
      .withArgs((ctx) => ({ id: ctx.invocation!.args.orderId })),
  });
  app.task('alert', echo, {
    triggers: on.exception(charge, [CardDeclined]).withArgs(on.args.sourceError()),
  });
  app.task('big', echo, {
    triggers: on
      .result(charge, (r: { amount: number }) => r.amount > 1000)
      .withArgs(on.args.sourceResult('charge')),
  });
  app.task('exact', echo, { triggers: on.result(a, 70) });
  app.task('onSignup', echo, { triggers: on.event('user.signup', { plan: 'pro' }) });
  app.task('both', echo, {
    triggers: on.all(on.status(a), on.event('b.done'), { windowSeconds: 30 }).withArgs((ctx) => ({
      x: ctx.parts![0]!.invocation!.args.x,
      y: (ctx.parts![1]!.event!.payload as { y: number }).y,
    })),
  });
  app.task('either', echo, {
    triggers: on
      .any(
        on.status(a),
        on.event('b.done', (p: { y: number }) => p.y > 0),
      )
      .withArgs((ctx) => ({ kind: ctx.kind })),
  });
  return app;
}

const tmp = tempDir('taskapp-triggers-');
afterAll(() => tmp.cleanup());
let dbN = 0;

const backends: Array<[string, () => Record<string, unknown>, boolean]> = [
  ['memory', () => ({ backend: 'memory' }), false],
  [
    'sqlite',
    () => ({
      backend: 'sqlite',
      sqlite: { path: join(tmp.dir, `t${dbN++}.db`), pollIntervalMs: 10 },
    }),
    true,
  ],
];

describe.each(backends)('%s: condition triggers', (_name, config, twoApps) => {
  let apps: App[] = [];
  let runners: Runner[] = [];
  afterEach(async () => {
    await Promise.all(runners.map((r) => r.stop({ graceMs: 1000 })));
    await Promise.all(apps.map((a) => a.close()));
    apps = [];
    runners = [];
  });

  async function start(): Promise<App> {
    const cfg = config();
    apps = twoApps ? [defineApp(cfg), defineApp(cfg)] : [defineApp(cfg)];
    runners = await Promise.all(
      [apps[0]!, apps[apps.length - 1]!].map((a) => a.startRunner({ concurrency: 4 })),
    );
    return apps[0]!;
  }

  /** Waits until `want` counts are reached and every invocation is final, then a few more ticks for duplicates. */
  async function settle(
    app: App,
    want: Record<string, number>,
  ): Promise<Record<string, unknown[]>> {
    const { state } = await runtimeOf(app).backends();
    const read = async () => {
      const out: Record<string, unknown[]> = {};
      for (const task of Object.keys(want)) {
        const recs = await state.list({ taskId: task });
        out[task] = recs.filter((r) => r.status === 'SUCCESS').map((r) => JSON.parse(r.args));
        if (recs.length !== out[task]!.length) {
          return null;
        }
      }
      return out;
    };
    const deadline = Date.now() + 20_000;
    for (;;) {
      const got = await read();
      if (got && Object.entries(want).every(([t, n]) => got[t]!.length >= n)) {
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${JSON.stringify(want)}, got ${JSON.stringify(await read())}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    await new Promise((r) => setTimeout(r, 300)); // ~15 trigger ticks: room for a duplicate to show up
    return (await read())!;
  }

  it('status, result and exception triggers fire the right task with the right arguments, once', async () => {
    const app = await start();
    const charge = app.getTask('charge')!;
    await charge.call({ orderId: 1, amount: 5 });
    await charge.call({ orderId: 2, amount: 5000 });
    await charge.call({ orderId: 3, amount: 5, fail: true });
    await app.getTask('a')!.call({ x: 7 });
    await app.getTask('a')!.call({ x: 8 });
    const got = await settle(app, { notify: 2, big: 1, alert: 1, exact: 1 });
    expect(got.notify!.sort((p: any, q: any) => p.id - q.id)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(got.big).toEqual([{ charge: { orderId: 2, amount: 5000 } }]);
    expect(got.alert).toEqual([{ error: { name: 'CardDeclined', message: 'order 3 declined' } }]);
    expect(got.exact).toEqual([{}]);
  });

  it('event triggers fire once per matching event, with the payload as arguments', async () => {
    const app = await start();
    const id = await app.emit('user.signup', { userId: 7, plan: 'pro' });
    expect(typeof id).toBe('string');
    await apps[apps.length - 1]!.emit('user.signup', { userId: 8, plan: 'free' });
    await app.emit('user.signup', { userId: 9, plan: 'pro', extra: true });
    const got = await settle(app, { onSignup: 2 });
    expect(got.onSignup!.sort((p: any, q: any) => p.userId - q.userId)).toEqual([
      { userId: 7, plan: 'pro' },
      { userId: 9, plan: 'pro', extra: true },
    ]);
  });

  it('on.all fires once when every part happened within the window; on.any once per source', async () => {
    const app = await start();
    const inv = await app.getTask('a')!.call({ x: 3 });
    await inv.result({ timeoutMs: 10_000 });
    // The part "a finished" is recorded by the runner's trigger hook; emit after it so that each
    // b.done is the part that completes the condition (else a's part completes it once, for both).
    const { triggers } = await runtimeOf(app).backends();
    while (!(await triggers.events(0, 100)).some((e) => e.code === 'taskapp.trigger.part')) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 5));
    await app.emit('b.done', { y: 4 });
    await app.emit('b.done', { y: -1 }); // completes on.all again (a later b.done), but not on.any's filter
    const got = await settle(app, { both: 2, either: 2 });
    expect(got.both!.sort((p: any, q: any) => q.y - p.y)).toEqual([
      { x: 3, y: 4 },
      { x: 3, y: -1 },
    ]);
    expect(got.either!.map((a: any) => a.kind).sort()).toEqual(['event', 'status']);
  });

  it('on.all does not fire while a part is missing', async () => {
    const app = await start();
    await app.emit('b.done', { y: 1 });
    const got = await settle(app, { either: 1 });
    expect(got.either).toEqual([{ kind: 'event' }]);
    expect((await (await runtimeOf(app).backends()).state.list({ taskId: 'both' })).length).toBe(0);
  });
});

describe('dev mode (dev_mode_force_sync): no runner', () => {
  it('status, result, exception and event triggers run inline before call() / emit() return', async () => {
    const app = defineApp({ backend: 'memory', devModeForceSync: true });
    try {
      const { state } = await runtimeOf(app).backends();
      const argsOf = async (task: string) =>
        (await state.list({ taskId: task })).map((r) => JSON.parse(r.args));
      await app.getTask('charge')!.call({ orderId: 5, amount: 2000 });
      expect(await argsOf('notify')).toEqual([{ id: 5 }]);
      expect(await argsOf('big')).toEqual([{ charge: { orderId: 5, amount: 2000 } }]);
      await app
        .getTask('charge')!
        .call({ orderId: 6, amount: 1, fail: true })
        .catch(() => {});
      expect(await argsOf('alert')).toEqual([
        { error: { name: 'CardDeclined', message: 'order 6 declined' } },
      ]);
      await app.emit('user.signup', { userId: 1, plan: 'pro' });
      expect(await argsOf('onSignup')).toEqual([{ userId: 1, plan: 'pro' }]);
      await app.getTask('a')!.call({ x: 2 });
      await app.emit('b.done', { y: 9 });
      expect(await argsOf('both')).toEqual([{ x: 2, y: 9 }]);
      expect((await argsOf('either')).map((a) => a.kind).sort()).toEqual(['event', 'status']);
    } finally {
      await app.close();
    }
  });
});
