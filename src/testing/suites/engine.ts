/** End to end through the public API with a thread runner, on the backend under test. */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, TaskFailedError, UnknownTaskError, type App } from '../../index.js';
import type { BackendHarness } from '../harness.js';
import { runtimeOf } from '../../runtime/runtime.js';

class CardDeclined extends Error {
  constructor(
    message: string,
    readonly code = 'card_declined',
  ) {
    super(message);
    this.name = 'CardDeclined';
  }
}
class Flaky extends Error {
  constructor(m = 'flaky') {
    super(m);
    this.name = 'Flaky';
  }
}

export function engineSuite(h: BackendHarness): void {
  describe(`${h.name}: engine end to end`, () => {
    let app: App;
    afterEach(async () => {
      await app?.close();
    });

    const make = () =>
      (app = taskapp({ ...h.freshConfig(), configFile: false, errors: [CardDeclined] }));

    it('runs a task and keeps the result, status and full history', async () => {
      make();
      const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
      await app.startRunner({ concurrency: 4 });
      const inv = await add.call({ x: 1, y: 2 });
      expect(await inv.result({ timeoutMs: 10_000 })).toBe(3);
      expect(await inv.status()).toBe('SUCCESS');
      const hist = await inv.history();
      expect(hist.map((e) => e.status)).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'SUCCESS']);
      expect(hist[1]!.runnerId).toBeTruthy();
      expect(await add.run({ x: 20, y: 22 }, { timeoutMs: 10_000 })).toBe(42);
    });

    it("retries, then fails with the task's own error class", async () => {
      make();
      let calls = 0;
      const flaky = app.task(
        'flaky',
        async ({ ok }: { ok: boolean }) => {
          calls++;
          if (!ok || calls < 3) {
            throw new Flaky();
          }
          return 'ok';
        },
        {
          maxRetries: 2,
          retryFor: [Flaky],
          retryBackoff: { kind: 'fixed', baseSeconds: 0.01, jitter: false },
        },
      );
      const charge = app.task(
        'charge',
        async () => {
          throw new CardDeclined('no funds');
        },
        { maxRetries: 3, retryFor: ['Flaky'] },
      );
      await app.startRunner({ concurrency: 2 });
      const inv = await flaky.call({ ok: true });
      expect(await inv.result({ timeoutMs: 10_000 })).toBe('ok');
      expect((await inv.history()).map((e) => e.status)).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'RETRY',
        'PENDING',
        'RUNNING',
        'RETRY',
        'PENDING',
        'RUNNING',
        'SUCCESS',
      ]);
      const failed = await charge.call({});
      const err = await failed.result({ timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CardDeclined);
      expect(err).toMatchObject({ message: 'no funds', code: 'card_declined' });
      expect((err as Error).stack).toContain('no funds');
      expect(await failed.status()).toBe('FAILED');
      expect((await failed.history()).filter((e) => e.status === 'RUNNING').length).toBe(1);
      calls = 0;
      const exhausted = await flaky.call({ ok: false });
      await expect(exhausted.result({ timeoutMs: 10_000 })).rejects.toMatchObject({
        name: 'Flaky',
      });
      expect((await exhausted.history()).filter((e) => e.status === 'RUNNING').length).toBe(3);
    });

    it('rethrows unregistered errors as TaskFailedError with name, message, stack and fields', async () => {
      make();
      const boom = app.task('boom', async () => {
        const e = new RangeError('too big');
        Object.assign(e, { limit: 5 });
        class Custom extends Error {
          where = 'db';
        }
        throw Object.assign(new Custom('custom'), { name: 'CustomErr' });
      });
      await app.startRunner({ concurrency: 1 });
      const err = (await boom
        .run({}, { timeoutMs: 10_000 })
        .catch((e: unknown) => e)) as TaskFailedError;
      expect(err).toBeInstanceOf(TaskFailedError);
      expect(err.remoteName).toBe('CustomErr');
      expect(err.remoteMessage).toBe('custom');
      expect(err.fields).toEqual({ where: 'db' });
      expect(err.remoteStack).toContain('custom');
    });

    it('fails an invocation of a task this runner does not know, with UnknownTaskError', async () => {
      make();
      app.task('known', async () => 1);
      await app.startRunner({ concurrency: 1 });
      const { state, broker } = await runtimeOf(app).backends();
      await state.insert(
        [
          {
            id: 'ghost-1',
            taskId: 'ghost',
            args: '{}',
            priority: 5,
            parentId: null,
            workflowId: null,
          },
        ],
        Date.now(),
      );
      await broker.route([{ id: 'ghost-1', priority: 5 }]);
      const err = await app
        .invocation('ghost-1')
        .result({ timeoutMs: 10_000 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownTaskError);
      expect((err as Error).message).toContain('unknown task "ghost"');
    });

    it('finishes fib(12) on 2 slots: waiting parents leave their slot (PAUSED/RESUMED)', async () => {
      make();
      const fib = app.task('fib', async ({ n }: { n: number }): Promise<number> =>
        n <= 1 ? n : (await fib.run({ n: n - 1 })) + (await fib.run({ n: n - 2 })),
      );
      await app.startRunner({ concurrency: 2 });
      const inv = await fib.call({ n: 12 });
      expect(await inv.result({ timeoutMs: 60_000 })).toBe(144);
      const statuses = (await inv.history()).map((e) => e.status);
      expect(statuses).toContain('PAUSED');
      expect(statuses).toContain('RESUMED');
      expect(statuses.at(-1)).toBe('SUCCESS');
    });

    it('parallelizes: results in completion order, all() in call order, children linked to parent', async () => {
      make();
      const sq = app.task('sq', async ({ n }: { n: number }) => {
        await new Promise((r) => setTimeout(r, (10 - n) * 3));
        return n * n;
      });
      const parent = app.task('parent', async () => {
        const g = await sq.parallelize([{ n: 1 }, { n: 2 }, { n: 3 }]);
        return g.all();
      });
      await app.startRunner({ concurrency: 8 });
      const group = await sq.parallelize(Array.from({ length: 10 }, (_, n) => ({ n })));
      const inOrder: number[] = [];
      for await (const r of group.results({ timeoutMs: 10_000 })) {
        inOrder.push(r);
      }
      expect([...inOrder].sort((a, b) => a - b)).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
      expect(await group.all()).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
      const p = await parent.call({});
      expect(await p.result({ timeoutMs: 10_000 })).toEqual([1, 4, 9]);
      const { state } = await runtimeOf(app).backends();
      const children = (await state.list({ taskId: 'sq' })).filter((r) => r.parentId === p.id);
      expect(children.length).toBe(3);
    });

    it('stops gracefully: nothing left RUNNING, unfinished work goes back to the queue', async () => {
      make();
      const slow = app.task('slow', async () => {
        await new Promise((r) => setTimeout(r, 2000));
        return 1;
      });
      const runner = await app.startRunner({ concurrency: 2 });
      const group = await slow.parallelize([{}, {}, {}]);
      const { state } = await runtimeOf(app).backends();
      for (let i = 0; i < 200 && ((await state.countByStatus()).RUNNING ?? 0) < 2; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await runner.stop({ graceMs: 50 });
      const recs = await state.getMany(group.ids);
      expect(recs.filter((r) => ['RUNNING', 'PENDING', 'PAUSED'].includes(r.status))).toEqual([]);
      expect(recs.filter((r) => r.status === 'REROUTED').length).toBe(2);
      expect(await (await runtimeOf(app).backends()).broker.count()).toBe(3);
    });
  });
}
