/** Operations on stored work every backend supports: retention (bounded purge, per task). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backends } from '../../backends/registry.js';
import type { Status } from '../../core/status.js';
import { taskapp, type App } from '../../index.js';
import { retentionOnce } from '../../runtime/retention.js';
import { rerunMatching } from '../../runtime/rerun.js';
import { runtimeOf } from '../../runtime/runtime.js';
import { openBackends, type BackendHarness } from '../harness.js';
import { newInv } from './state.js';

/** Runs `id` to `to` (SUCCESS or FAILED) at time `at`, or leaves it RUNNING. */
async function finish(b: Backends, id: string, at: number, to: Status = 'SUCCESS') {
  await b.orchestrator.acquire([id], 'r', at);
  await b.orchestrator.transition({ id, to: 'RUNNING', runnerId: 'r' }, at);
  if (to !== 'RUNNING') {
    await b.orchestrator.transition(
      { id, to, runnerId: 'r', ...(to === 'SUCCESS' ? { result: '1' } : { error: '{}' }) },
      at,
    );
  }
}

export function opsSuite(h: BackendHarness): void {
  describe(`${h.name}: retention`, () => {
    let b: Backends;
    beforeEach(async () => {
      b = await openBackends(h.freshConfig());
    });
    afterEach(async () => {
      await b.close();
    });

    const ids = async () => (await b.state.list({})).map((r) => r.id).sort();

    it('purges in bounded batches: a limit caps each call, repeated calls take the rest', async () => {
      const all = Array.from({ length: 7 }, (_, i) => `b${i}`);
      await b.state.insert(
        all.map((id) => newInv(id)),
        1,
      );
      for (const id of all) {
        await finish(b, id, 10, id === 'b0' ? 'FAILED' : 'SUCCESS');
      }
      const batches: number[] = [];
      for (let n = -1; n !== 0;) {
        n = await b.orchestrator.purge(50, { limit: 3 });
        batches.push(n);
      }
      expect(batches).toEqual([3, 3, 1, 0]);
      expect(await ids()).toEqual([]);
      expect(await b.state.history('b3')).toEqual([]);
    });

    it('purges only the tasks in scope, or all but some', async () => {
      await b.state.insert([newInv('a1', 'a'), newInv('a2', 'a'), newInv('c1', 'c')], 1);
      for (const id of ['a1', 'a2', 'c1']) {
        await finish(b, id, 10);
      }
      expect(await b.orchestrator.purge(50, { exceptTaskIds: ['a'], limit: 10 })).toBe(1);
      expect(await ids()).toEqual(['a1', 'a2']);
      expect(await b.orchestrator.purge(50, { taskIds: ['c'] })).toBe(0);
      expect(await b.orchestrator.purge(50, { taskIds: [] })).toBe(0);
      expect(await b.orchestrator.purge(50, { taskIds: ['a'], limit: 1 })).toBe(1);
      expect(await b.orchestrator.purge(50, { taskIds: ['a'] })).toBe(1);
      expect(await ids()).toEqual([]);
    });

    it('keeps a finished child while its parent is not final, and never a running one', async () => {
      await b.state.insert(
        [
          newInv('parent'),
          newInv('kid', 't', { parentId: 'parent' }),
          newInv('orphan', 't', { parentId: 'gone' }),
          newInv('busy'),
        ],
        1,
      );
      await finish(b, 'parent', 10, 'RUNNING');
      await finish(b, 'kid', 10);
      await finish(b, 'orphan', 10);
      await finish(b, 'busy', 10, 'RUNNING');
      expect(await b.orchestrator.purge(50, { limit: 10 })).toBe(1);
      expect(await ids()).toEqual(['busy', 'kid', 'parent']);
      await b.orchestrator.transition(
        { id: 'parent', to: 'SUCCESS', runnerId: 'r', result: '1' },
        20,
      );
      expect(await b.orchestrator.purge(15, { limit: 10 })).toBe(1);
      expect(await ids()).toEqual(['busy', 'parent']);
    });
  });

  describe(`${h.name}: retention through an app`, () => {
    let app: App;
    afterEach(async () => {
      await app?.close();
    });

    it('deletes finished invocations past their task retention or [retention] finished, with blobs', async () => {
      app = taskapp({
        ...h.freshConfig(),
        configFile: false,
        retention: { finished: '7d', batchSize: 2, batchPauseMs: 1 },
      });
      const short = app.task('short', async ({ s }: { s: string }) => s.length, {
        retention: '1h',
      });
      const long = app.task('long', async ({ s }: { s: string }) => s.length);
      await app.startRunner({ concurrency: 4 });
      const big = 'x'.repeat(5000); // stored once in the data store (min_size_to_cache)
      const shorts = await Promise.all([1, 2, 3].map((i) => short.call({ s: big + i })));
      const longs = await Promise.all([1, 2].map((i) => long.call({ s: 'y'.repeat(i) })));
      for (const inv of [...shorts, ...longs]) {
        await inv.result({ timeoutMs: 20_000 });
      }
      const rt = runtimeOf(app);
      expect(await retentionOnce(rt, Date.now() - 1000)).toEqual({ purged: 0, blobsDeleted: 0 });
      const r = await retentionOnce(rt, Date.now() + 2 * 3_600_000);
      expect(r.purged).toBe(3);
      expect(r.blobsDeleted).toBeGreaterThanOrEqual(3);
      const left = (await (await rt.backends()).state.list({})).map((x) => x.id).sort();
      expect(left).toEqual(longs.map((i) => i.id).sort());
      expect((await retentionOnce(rt, Date.now() + 8 * 86_400_000)).purged).toBe(2);
    });

    it('a runner deletes expired finished invocations on its own (holding the retention lease)', async () => {
      app = taskapp({
        ...h.freshConfig(),
        configFile: false,
        retention: { checkIntervalSeconds: 1 },
      });
      const brief = app.task('brief', async () => 1, { retention: '1s' });
      const kept = app.task('kept', async () => 2);
      await app.startRunner({ concurrency: 2 });
      const a = await brief.call({});
      const k = await kept.call({});
      await a.result({ timeoutMs: 20_000 });
      await k.result({ timeoutMs: 20_000 });
      const { state } = await runtimeOf(app).backends();
      for (let i = 0; i < 300 && (await state.get(a.id)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await state.get(a.id)).toBeNull();
      expect((await state.get(k.id))?.status).toBe('SUCCESS');
    });
  });

  describe(`${h.name}: invocation extras (rerun link, progress)`, () => {
    let b: Backends;
    beforeEach(async () => {
      b = await openBackends(h.freshConfig());
    });
    afterEach(async () => {
      await b.close();
    });

    it('keeps a rerun link once set, replaces progress whole, and purge deletes them', async () => {
      await b.state.insert([newInv('x1'), newInv('x2')], 1);
      expect(await b.state.extras(['x1', 'x2', 'nope'])).toEqual({});
      await b.state.setExtras('x1', { rerunOf: 'old' });
      await b.state.setExtras('x1', { progress: { value: 0.5, message: 'half', at: 7 } });
      await b.state.setExtras('x1', { rerunOf: 'other' });
      await b.state.setExtras('x2', { progress: { value: 0.1, message: 'a', at: 5 } });
      await b.state.setExtras('x2', { progress: { value: 1, message: null, at: 6 } });
      expect(await b.state.extras(['x1', 'x2'])).toEqual({
        x1: { rerunOf: 'old', progress: { value: 0.5, message: 'half', at: 7 } },
        x2: { rerunOf: null, progress: { value: 1, message: null, at: 6 } },
      });
      await finish(b, 'x1', 10);
      expect(await b.orchestrator.purge(50)).toBe(1);
      expect(await b.state.extras(['x1', 'x2'])).toEqual({
        x2: { rerunOf: null, progress: { value: 1, message: null, at: 6 } },
      });
    });
  });

  describe(`${h.name}: rerun`, () => {
    let app: App;
    afterEach(async () => {
      await app?.close();
    });

    it('inv.rerun() makes a new invocation with the same arguments, linked to the old one', async () => {
      app = taskapp({ ...h.freshConfig(), configFile: false });
      let fail = true;
      const flaky = app.task('flaky', async ({ n, big }: { n: number; big: string }) => {
        if (fail) {
          throw new Error('boom');
        }
        return n + big.length;
      });
      await app.startRunner({ concurrency: 2 });
      const first = await flaky.call({ n: 1, big: 'z'.repeat(3000) });
      await expect(first.result({ timeoutMs: 20_000 })).rejects.toThrow('boom');
      fail = false;
      const again = await first.rerun();
      expect(again.id).not.toBe(first.id);
      expect(await again.result({ timeoutMs: 20_000 })).toBe(3001);
      expect(await again.rerunOf()).toBe(first.id);
      expect(await first.rerunOf()).toBeNull();
      expect(await first.status()).toBe('FAILED');
      expect((await again.history()).map((e) => e.status)).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'SUCCESS',
      ]);
    });

    it('reruns in bulk by status and task, newest first and bounded; refuses unfinished ones', async () => {
      app = taskapp({ ...h.freshConfig(), configFile: false });
      let fail = true;
      const job = app.task('job', async ({ i }: { i: number }) => {
        if (fail) {
          throw new Error(`no ${i}`);
        }
        return i;
      });
      const other = app.task('other', async () => {
        throw new Error('other');
      });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const idle = app.task('idle', async () => {
        await gate;
        return 0;
      });
      await app.startRunner({ concurrency: 4 });
      const jobs = await Promise.all([1, 2, 3].map((i) => job.call({ i })));
      const others = await other.call({});
      for (const inv of [...jobs, others]) {
        await inv.result({ timeoutMs: 20_000 }).catch(() => {});
      }
      const rt = runtimeOf(app);
      const dry = await rerunMatching(rt, {
        statuses: ['FAILED'],
        taskId: 'job',
        limit: 2,
        dryRun: true,
      });
      expect(dry.matched).toHaveLength(2);
      expect(dry.reruns).toEqual([]);
      fail = false;
      const done = await rerunMatching(rt, { statuses: ['FAILED'], taskId: 'job', limit: 100 });
      expect(done.matched.sort()).toEqual(jobs.map((j) => j.id).sort());
      const results = await Promise.all(
        done.reruns.map((r) => rt.invocation(r.id).result({ timeoutMs: 20_000 })),
      );
      expect(results.sort()).toEqual([1, 2, 3]);
      expect(await others.status()).toBe('FAILED');
      // The reruns succeeded; nothing of `job` is FAILED-and-new, so a second pass finds the old ones only.
      expect(
        (await rerunMatching(rt, { statuses: ['FAILED'], taskId: 'job', limit: 100, dryRun: true }))
          .matched.length,
      ).toBe(3);
      await expect(rerunMatching(rt, { statuses: ['RUNNING'], limit: 10 })).rejects.toMatchObject({
        code: 'BAD_FILTER',
      });
      const busy = await idle.call({});
      for (let i = 0; i < 200 && (await busy.status()) !== 'RUNNING'; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await expect(busy.rerun()).rejects.toMatchObject({ code: 'BAD_ACTION' });
      release();
      expect(await busy.result({ timeoutMs: 20_000 })).toBe(0);
    });
  });

  describe(`${h.name}: progress`, () => {
    let app: App;
    afterEach(async () => {
      await app?.close();
    });

    it('ctx.progress is stored rate-limited, its last value always; inv.progress() reads it', async () => {
      app = taskapp({
        ...h.freshConfig(),
        configFile: false,
        monitor: { progressIntervalMs: 60_000 },
      });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const resize = app.task('resize', async ({ n }: { n: number }, ctx) => {
        for (let i = 1; i <= n; i++) {
          ctx.progress(i / n, `resizing ${i}/${n}`);
          if (i === 1) {
            await gate;
          }
        }
        return n;
      });
      const bad = app.task('bad', async (_: Record<string, never>, ctx) => {
        ctx.progress(1.5);
      });
      await app.startRunner({ concurrency: 2 });
      const inv = await resize.call({ n: 100 });
      for (let i = 0; i < 200 && !(await inv.progress()); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      // The first report is written at once; the next 99 within the interval are held...
      expect(await inv.progress()).toMatchObject({ value: 0.01, message: 'resizing 1/100' });
      release();
      expect(await inv.result({ timeoutMs: 20_000 })).toBe(100);
      // ...and the last one is written before the outcome.
      expect(await inv.progress()).toMatchObject({ value: 1, message: 'resizing 100/100' });
      const b = await bad.call({});
      await expect(b.result({ timeoutMs: 20_000 })).rejects.toThrow(
        /ctx\.progress\(value\): 1\.5 is not a number from 0 to 1/,
      );
      expect(await b.progress()).toBeNull();
    });
  });
}
