/**
 * Per-call options on every backend: a delayed call (delayMs, runAt) is not started before its
 * time and then runs once; a call's priority overrides the task's; bad options are refused
 * before anything is stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../index.js';
import type { BackendHarness } from '../harness.js';
import { runtimeOf } from '../../runtime/runtime.js';

const WAIT = { timeoutMs: 30_000 };

export function callOptionsSuite(h: BackendHarness): void {
  describe(`${h.name}: per-call options`, () => {
    let app: App;
    afterEach(async () => {
      await app?.close();
    });
    const make = () => (app = taskapp({ ...h.freshConfig(), configFile: false }));

    it('delayMs and runAt: not started before the time asked, then run once', async () => {
      make();
      const starts: Array<{ tag: string; at: number }> = [];
      const stamp = app.task('stamp', async ({ tag }: { tag: string }) => {
        starts.push({ tag, at: Date.now() });
        return tag;
      });
      await app.startRunner({ concurrency: 4 });
      const t0 = Date.now();
      const delayed = await stamp.call({ tag: 'delayed' }, { delayMs: 1500 });
      const at = new Date(Date.now() + 1500);
      const scheduled = await stamp.call({ tag: 'scheduled' }, { runAt: at });
      const now = await stamp.call({ tag: 'now' }, { runAt: new Date(Date.now() - 60_000) });
      expect(await now.result(WAIT)).toBe('now');
      expect(await delayed.result(WAIT)).toBe('delayed');
      expect(await scheduled.result(WAIT)).toBe('scheduled');
      const startOf = (tag: string) => starts.find((s) => s.tag === tag)!.at;
      expect(startOf('delayed')).toBeGreaterThanOrEqual(t0 + 1500);
      expect(startOf('scheduled')).toBeGreaterThanOrEqual(at.getTime());
      expect(starts).toHaveLength(3);
      expect((await delayed.history()).map((e) => e.status)).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'SUCCESS',
      ]);
    });

    it('a delayed call can be cancelled before its time: it never runs', async () => {
      make();
      let ran = 0;
      const t = app.task('t', async () => ++ran);
      await app.startRunner({ concurrency: 2 });
      const inv = await t.call({}, { delayMs: 1000 });
      expect((await inv.cancel()).outcome).toBe('cancelled');
      const marker = await t.call({}, { delayMs: 1500 });
      await marker.result(WAIT);
      expect(ran).toBe(1);
      expect(await inv.status()).toBe('CANCELLED');
    });

    it("a call's priority overrides the task's", async () => {
      make();
      const order: string[] = [];
      const t = app.task(
        'p',
        async ({ tag }: { tag: string }) => {
          order.push(tag);
          return tag;
        },
        { priority: 5 },
      );
      const low = await t.call({ tag: 'low' }, { priority: 1 });
      const mid = await t.call({ tag: 'mid' });
      const high = await t.call({ tag: 'high' }, { priority: 9 });
      expect((await high.record()).priority).toBe(9);
      await app.startRunner({ concurrency: 1 });
      await Promise.all([low.result(WAIT), mid.result(WAIT), high.result(WAIT)]);
      expect(order).toEqual(['high', 'mid', 'low']);
    });

    it("a call's timeoutMs overrides the task's timeout, shorter or longer, and is kept with the invocation", async () => {
      make();
      const waits = app.task(
        'waits',
        async ({ ms }: { ms: number }, ctx) =>
          new Promise<string>((resolve, reject) => {
            const t = setTimeout(() => resolve('done'), ms);
            ctx.signal.addEventListener('abort', () => {
              clearTimeout(t);
              reject(ctx.signal.reason as Error);
            });
          }),
        { timeoutSeconds: 0.3 },
      );
      await app.startRunner({ concurrency: 2 });
      // Longer than the task's 0.3 s: runs to its end.
      const longer = await waits.call({ ms: 1000 }, { timeoutMs: 60_000 });
      // Shorter than the work (the task's 0.3 s would also stop it; the call's own says 200 ms).
      const shorter = await waits.call({ ms: 60_000 }, { timeoutMs: 200 });
      expect((await longer.record()).callOptions).toEqual({ timeoutMs: 60_000 });
      expect(await longer.result(WAIT)).toBe('done');
      await expect(shorter.result(WAIT)).rejects.toMatchObject({ code: 'TASK_TIMEOUT' });
      expect(await shorter.status()).toBe('FAILED');
      expect((await shorter.record()).error).toContain('0.2');
      // Unset: the task's timeout applies.
      const plain = await waits.call({ ms: 60_000 });
      await expect(plain.result(WAIT)).rejects.toMatchObject({ code: 'TASK_TIMEOUT' });
      expect((await plain.record()).callOptions).toBeUndefined();
    });

    it('a bad timeoutMs is refused before anything is stored', async () => {
      make();
      const t = app.task('t', async () => 1);
      for (const bad of [0, -1, 1.5, 8 * 86_400_000, Number.NaN]) {
        await expect(t.call({}, { timeoutMs: bad })).rejects.toMatchObject({
          code: 'BAD_PARAMETER',
          message: expect.stringContaining('timeoutMs'),
        });
      }
      const { state } = await runtimeOf(app).backends();
      expect(await state.countByStatus()).toEqual({});
    });

    it('expiresAt: not started by then, it goes CANCELLED as expired and never runs', async () => {
      make();
      const ran: string[] = [];
      const t = app.task('exp', async ({ tag }: { tag: string }) => {
        ran.push(tag);
        return tag;
      });
      const expiresAt = new Date(Date.now() + 300);
      const late = await t.call({ tag: 'late' }, { expiresAt });
      const fine = await t.call({ tag: 'fine' }, { expiresAt: new Date(Date.now() + 600_000) });
      expect((await late.record()).callOptions).toEqual({ expiresAt: expiresAt.getTime() });
      // No runner until its time has passed.
      while (Date.now() <= expiresAt.getTime() + 50) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await app.startRunner({ concurrency: 2 });
      expect(await fine.result(WAIT)).toBe('fine');
      const err = await late.result(WAIT).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'INVOCATION_CANCELLED' });
      expect((err as Error).message).toContain('expired');
      expect(await late.status()).toBe('CANCELLED');
      expect(ran).toEqual(['fine']);
      expect((await late.history()).map((e) => e.status)).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'CANCELLED',
      ]);
    });

    it('a bad expiresAt is refused before anything is stored', async () => {
      make();
      const t = app.task('t', async () => 1);
      const now = Date.now();
      const cases: Array<Parameters<typeof t.call>[1]> = [
        { expiresAt: new Date(now - 1000) },
        { expiresAt: new Date('nope') },
        { expiresAt: new Date(now + 400 * 86_400_000) },
        { expiresAt: new Date(now + 60_000), delayMs: 120_000 },
      ];
      for (const opts of cases) {
        await expect(t.call({}, opts)).rejects.toMatchObject({
          code: 'BAD_PARAMETER',
          message: expect.stringContaining('expiresAt'),
        });
      }
      const { state } = await runtimeOf(app).backends();
      expect(await state.countByStatus()).toEqual({});
    });

    it('id is an idempotency key: a second call, even racing, returns the first invocation, which runs once', async () => {
      make();
      let ran = 0;
      const t = app.task('once', async ({ n }: { n: number }) => {
        ran++;
        return n;
      });
      const first = await t.call({ n: 1 }, { id: 'order-42' });
      expect(first.id).toBe('order-42');
      expect(first.reused).toBe(false);
      const again = await t.call({ n: 2 }, { id: 'order-42' });
      expect(again.id).toBe('order-42');
      expect(again.reused).toBe(true);
      const racing = await Promise.all(
        Array.from({ length: 5 }, (_, n) => t.call({ n }, { id: 'order-43', delayMs: n ? 0 : 10 })),
      );
      expect(new Set(racing.map((i) => i.id))).toEqual(new Set(['order-43']));
      await app.startRunner({ concurrency: 4 });
      expect(await first.result(WAIT)).toBe(1);
      await racing[0]!.result(WAIT);
      const { state } = await runtimeOf(app).backends();
      expect(await state.list({ taskId: 'once' })).toHaveLength(2);
      // Finished: the key still returns it (until it is purged), and nothing runs again.
      const late = await t.call({ n: 3 }, { id: 'order-42' });
      expect(late.reused).toBe(true);
      expect(await late.result(WAIT)).toBe(1);
      expect(ran).toBe(2);
    });

    it('bad options are refused with the option, the value and a fix; nothing is stored', async () => {
      make();
      const t = app.task('t', async () => 1);
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ priority: 10 }, /priority: 10 .*0 to 9/],
        [{ priority: 1.5 }, /priority/],
        [{ delayMs: -1 }, /delayMs: -1/],
        [{ delayMs: Infinity }, /delayMs/],
        [{ delayMs: 400 * 86_400_000 }, /delayMs: .*one year/],
        [{ runAt: new Date('nonsense') }, /runAt/],
        [{ runAt: new Date(Date.now() + 400 * 86_400_000) }, /runAt/],
        [{ delayMs: 10, runAt: new Date() }, /not both/],
        [{ id: '' }, /id: "" .*printable/],
        [{ id: 'has space' }, /id/],
        [{ id: 'x'.repeat(201) }, /id/],
      ];
      for (const [opts, msg] of cases) {
        const err = await t.call({}, opts as never).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'BAD_PARAMETER', exitCode: 2 });
        expect((err as Error).message).toMatch(msg);
        expect((err as { fix?: string }).fix).toBeTruthy();
      }
      expect(
        await app
          .invocation('x')
          .status()
          .catch(() => 'none'),
      ).toBe('none');
    });
  });
}
