/**
 * Cancel on every backend: a waiting invocation goes CANCELLED and never runs; a running one has
 * its ctx.signal aborted through the backend's cancel channel (here from a second app on the same
 * storage where the backend is shared, so the request crosses processes' connections) and ends
 * CANCELLED; `children` reaches what a parent waits on; result() rejects with
 * InvocationCancelledError.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InvocationCancelledError, taskapp, type App } from '../../index.js';
import type { BackendHarness } from '../harness.js';
import { runtimeOf } from '../../runtime/runtime.js';

const WAIT = { timeoutMs: 30_000 };

async function until(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function cancelSuite(h: BackendHarness): void {
  describe(`${h.name}: cancel`, () => {
    const apps: App[] = [];
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.close()));
    });
    const make = (cfg = h.freshConfig()) => {
      const app = taskapp({ ...cfg, configFile: false });
      apps.push(app);
      return app;
    };

    it('a waiting invocation goes CANCELLED, never runs, and result() rejects with the reason', async () => {
      const app = make();
      let ran = 0;
      const work = app.task('work', async () => {
        ran++;
        return 1;
      });
      const inv = await work.call({});
      const res = await inv.cancel({ reason: 'not needed' });
      expect(res).toEqual({ id: inv.id, outcome: 'cancelled', status: 'CANCELLED' });
      const err = await inv.result(WAIT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvocationCancelledError);
      expect((err as InvocationCancelledError).code).toBe('INVOCATION_CANCELLED');
      expect((err as Error).message).toContain('not needed');
      expect((await inv.history()).map((e) => e.status)).toEqual(['REGISTERED', 'CANCELLED']);
      // A runner started afterwards drops its queue entry: it never runs.
      const other = await work.call({});
      await app.startRunner({ concurrency: 2 });
      expect(await other.result(WAIT)).toBe(1);
      expect(ran).toBe(1);
      expect(await inv.status()).toBe('CANCELLED');
      // Cancelling again changes nothing.
      expect((await inv.cancel()).outcome).toBe('finished');
      expect((await other.cancel()).outcome).toBe('finished');
    });

    it('a running invocation: its signal aborts, the body stops, it ends CANCELLED', async () => {
      const cfg = h.freshConfig();
      const app = make(cfg);
      let ticks = 0;
      let sawAbort = false;
      const slow = app.task('slow', async (_: Record<string, never>, ctx) => {
        while (!ctx.signal.aborted) {
          ticks++;
          await new Promise((r) => setTimeout(r, 20));
        }
        sawAbort = true;
        return 'stopped early';
      });
      await app.startRunner({ concurrency: 2 });
      const inv = await slow.call({});
      await until(async () => (await inv.status()) === 'RUNNING' && ticks > 0);
      // From another app on the same storage where it is shared: the request crosses connections.
      const canceller = h.shared ? make(cfg) : app;
      const res = await canceller.invocation(inv.id).cancel({ reason: 'user pressed stop' });
      expect(res.outcome).toBe('requested');
      const err = await inv.result(WAIT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvocationCancelledError);
      expect((err as Error).message).toContain('user pressed stop');
      expect(sawAbort).toBe(true);
      const after = ticks;
      await new Promise((r) => setTimeout(r, 200));
      expect(ticks).toBe(after);
      const hist = (await inv.history()).map((e) => e.status);
      expect(hist).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'CANCELLED']);
    });

    it('children: true cancels what a parent waits on (a workflow as a whole)', async () => {
      const app = make();
      const child = app.task('child', async (_: Record<string, never>, ctx) => {
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) {
            resolve();
          }
          ctx.signal.addEventListener('abort', () => resolve());
        });
        return 'child stopped';
      });
      const parent = app.task('parent', async () => {
        const c = await child.call({});
        return c.result();
      });
      await app.startRunner({ concurrency: 4 });
      const p = await parent.call({});
      let kids: string[] = [];
      const { state } = await runtimeOf(app).backends();
      await until(async () => {
        kids = (await state.list({ parentId: p.id }))
          .filter((r) => r.status === 'RUNNING')
          .map((r) => r.id);
        return kids.length === 1;
      });
      const res = await p.cancel({ children: true, reason: 'whole tree' });
      expect(res.outcome).toBe('requested');
      await expect(p.result(WAIT)).rejects.toBeInstanceOf(InvocationCancelledError);
      await expect(app.invocation(kids[0]!).result(WAIT)).rejects.toBeInstanceOf(
        InvocationCancelledError,
      );
    });

    it('an unknown id is an InvocationNotFoundError; an over-long reason is refused', async () => {
      const app = make();
      await expect(app.cancel(['no-such-id'])).rejects.toMatchObject({
        code: 'INVOCATION_NOT_FOUND',
      });
      const t = app.task('t', async () => 1);
      const inv = await t.call({});
      await expect(inv.cancel({ reason: 'x'.repeat(1001) })).rejects.toMatchObject({
        code: 'BAD_PARAMETER',
      });
      expect(await inv.status()).toBe('REGISTERED');
    });
  });
}
