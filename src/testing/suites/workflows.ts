/** Workflow state (StateBackend wf*) and blob references (DataStore refs), on every backend. */
import { MonitorData } from '../../monitoring/snapshot.js';
import { createWebApp } from '../../monitoring/web/server.js';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backends } from '../../backends/registry.js';
import { openBackends, type BackendHarness } from '../harness.js';
import { DeterminismError, taskapp, type App } from '../../index.js';
import { purgeInvocations } from '../../runtime/purge.js';
import { runtimeOf } from '../../runtime/runtime.js';

class Flaky extends Error {
  constructor(m = 'flaky') {
    super(m);
    this.name = 'Flaky';
  }
}

export function workflowStoreSuite(h: BackendHarness): void {
  describe(`${h.name}: workflow state and blob references`, () => {
    let b: Backends;
    let cfg: ReturnType<BackendHarness['freshConfig']>;
    beforeEach(async () => {
      cfg = h.freshConfig();
      b = await openBackends(cfg);
    });
    afterEach(async () => {
      await b.close();
    });

    it('gets, sets and lists workflow keys, per workflow', async () => {
      expect(await b.workflows.wfGet('w1', 'k')).toBeNull();
      expect(await b.workflows.wfList('w1')).toEqual({});
      await b.workflows.wfSet('w1', 'k', 'v1');
      await b.workflows.wfSet('w1', 'k', 'v2');
      await b.workflows.wfSet('w1', 'other', 'x');
      await b.workflows.wfSet('w2', 'k', 'y');
      expect(await b.workflows.wfGet('w1', 'k')).toBe('v2');
      expect(await b.workflows.wfList('w1')).toEqual({ k: 'v2', other: 'x' });
      expect(await b.workflows.wfList('w2')).toEqual({ k: 'y' });
      expect(await b.workflows.wfIds(10)).toEqual(['w1', 'w2']);
      expect(await b.workflows.wfIds(1)).toEqual(['w1']);
    });

    it('set-if-absent keeps the first value, even when many writers race', async () => {
      expect(await b.workflows.wfSetIfAbsent('w', 'seq:1', 'first')).toBe('first');
      expect(await b.workflows.wfSetIfAbsent('w', 'seq:1', 'second')).toBe('first');
      const peers = h.shared ? await Promise.all([openBackends(cfg), openBackends(cfg)]) : [];
      const racers = [b, b, b, ...peers];
      const got = await Promise.all(
        racers.map((x, i) => x.workflows.wfSetIfAbsent('w', 'race', `v${i}`)),
      );
      await Promise.all(peers.map((p) => p.close()));
      expect(new Set(got).size).toBe(1);
      expect(await b.workflows.wfGet('w', 'race')).toBe(got[0]);
    });

    it('deletes a blob with the last invocation referring to it', async () => {
      const data = Buffer.alloc(2048, 3);
      const key = createHash('sha256').update(data).digest('hex');
      const other = Buffer.alloc(100, 4);
      const otherKey = createHash('sha256').update(other).digest('hex');
      await b.data.put(key, data);
      await b.data.put(otherKey, other);
      await b.data.addRefs(key, ['i1', 'i2']);
      await b.data.addRefs(key, ['i2', 'i3']);
      await b.data.addRefs(otherKey, ['i3']);
      expect((await b.data.referrers()).sort()).toEqual(['i1', 'i2', 'i3']);
      expect(await b.data.release(['i1', 'i2'])).toBe(0);
      expect(await b.data.has(key)).toBe(true);
      expect(await b.data.release(['i3', 'unknown'])).toBe(2);
      expect(await b.data.has(key)).toBe(false);
      expect(await b.data.has(otherKey)).toBe(false);
      expect(await b.data.stats()).toEqual({ count: 0, bytes: 0 });
      expect(await b.data.referrers()).toEqual([]);
      expect(await b.data.release(['i3'])).toBe(0);
    });
  });
}

/** Workflows and the argument data store end to end through the public API, on the backend under test. */
export function workflowEngineSuite(h: BackendHarness): void {
  describe(`${h.name}: workflows and argument store end to end`, () => {
    let app: App;
    afterEach(async () => {
      await app?.close();
    });
    const make = (extra: Record<string, unknown> = {}) =>
      (app = taskapp({ ...h.freshConfig(), configFile: false, errors: [Flaky], ...extra }));
    const fast = { kind: 'fixed', baseSeconds: 0.01, jitter: false } as const;

    it('replays random/uuid/now and finished steps on retry; data is shared across the workflow', async () => {
      make();
      const charges: string[] = [];
      const seen: Array<{ r: number; u: string; n: number }> = [];
      const charge = app.task('charge', async ({ orderId }: { orderId: number }, ctx) => {
        charges.push(ctx.invocationId);
        expect(await ctx.wf.getData('tracking')).toMatch(/^TRK-7-/);
        return { id: `pay-${orderId}`, workflow: ctx.wf.id };
      });
      const order = app.task(
        'order',
        async ({ orderId }: { orderId: number }, ctx) => {
          const r = ctx.wf.random();
          const tracking = `TRK-${orderId}-${Math.floor(r * 1e5)}`;
          await ctx.wf.setData('tracking', tracking);
          const payment = await ctx.wf.executeTask(charge, { orderId });
          await ctx.wf.setData('payment', payment.id);
          const at = ctx.wf.now();
          const id = ctx.wf.uuid();
          seen.push({ r, u: id, n: at });
          if (ctx.attempt < 3) {
            throw new Flaky();
          }
          return { tracking, at, id, workflow: ctx.wf.id, payment };
        },
        { maxRetries: 3, retryFor: [Flaky], retryBackoff: fast },
      );
      await app.startRunner({ concurrency: 2 });
      const inv = await order.call({ orderId: 7 });
      const res = await inv.result({ timeoutMs: 20_000 });
      expect(seen).toHaveLength(3);
      expect(new Set(seen.map((s) => JSON.stringify(s))).size).toBe(1);
      expect(charges).toHaveLength(1);
      expect(res).toMatchObject({
        tracking: expect.stringMatching(/^TRK-7-\d+$/),
        workflow: inv.id,
        at: seen[0]!.n,
        id: seen[0]!.u,
        payment: { id: 'pay-7', workflow: inv.id },
      });
      const { state, workflows } = await runtimeOf(app).backends();
      const child = await state.get(charges[0]!);
      expect(child).toMatchObject({ parentId: inv.id, workflowId: inv.id, status: 'SUCCESS' });
      expect(JSON.parse((await workflows.wfGet(inv.id, 'd:payment'))!)).toBe('pay-7');
      // The dashboard's invocation page shows the workflow, its steps and data.
      const detail = await new MonitorData(runtimeOf(app)).detail(charges[0]!);
      expect(detail.workflow).toMatchObject({
        id: inv.id,
        type: 'order',
        status: 'SUCCESS',
        steps: [{ taskId: 'charge', invocationId: charges[0], status: 'SUCCESS' }],
        data: { tracking: expect.stringMatching(/^TRK-7-/), payment: 'pay-7' },
      });
      const web = createWebApp(runtimeOf(app));
      try {
        const page = await (
          await web.hono.request(`http://127.0.0.1:8000/invocations/${inv.id}`)
        ).text();
        expect(page).toContain(`Workflow <span class="mono muted">${inv.id}</span>`);
        expect(page).toContain('pay-7');
      } finally {
        web.close();
      }
    });

    it('force_new_workflow starts a child workflow linked to its parent', async () => {
      make();
      const sub = app.task('sub', async (_: Record<string, never>, ctx) => ctx.wf.id, {
        forceNewWorkflow: true,
      });
      const joined = app.task('joined', async (_: Record<string, never>, ctx) => ctx.wf.id);
      const root = app.task('root', async (_: Record<string, never>, ctx) => ({
        own: ctx.wf.id,
        sub: await sub.run({}),
        joined: await joined.run({}),
      }));
      await app.startRunner({ concurrency: 3 });
      const inv = await root.call({});
      const r = await inv.result({ timeoutMs: 20_000 });
      expect(r.own).toBe(inv.id);
      expect(r.joined).toBe(inv.id);
      expect(r.sub).not.toBe(inv.id);
      const meta = JSON.parse(
        (await (await runtimeOf(app).backends()).workflows.wfGet(r.sub, '@meta'))!,
      );
      expect(meta).toMatchObject({
        type: 'sub',
        rootInvocationId: r.sub,
        parentWorkflowId: inv.id,
        parentInvocationId: inv.id,
      });
    });

    it('sleeps and waits for a matching event while PAUSED', async () => {
      make();
      const wait = app.task('wait', async ({ user }: { user: number }, ctx) => {
        const ev = await ctx.wf.waitForEvent<{ user: number; ok: boolean }>('payment.done', {
          user,
        });
        await ctx.wf.sleep(30);
        return ev;
      });
      await app.startRunner({ concurrency: 1 });
      const inv = await wait.call({ user: 2 });
      for (let i = 0; i < 200 && (await inv.status()) !== 'PAUSED'; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await app.emit('payment.done', { user: 1, ok: false });
      await app.emit('payment.done', { user: 2, ok: true });
      expect(await inv.result({ timeoutMs: 20_000 })).toEqual({ user: 2, ok: true });
      expect((await inv.history()).map((e) => e.status)).toContain('PAUSED');
    });

    it('strict determinism fails a workflow task that calls Math.random directly', async () => {
      make({ determinism: 'strict' });
      const bad = app.task('bad', async (_: Record<string, never>, ctx) => {
        ctx.wf.now();
        return Math.random();
      });
      const plain = app.task('plain', async () => Math.random() < 2);
      await app.startRunner({ concurrency: 1 });
      const err = await bad.run({}, { timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeterminismError);
      expect(err).toMatchObject({
        code: 'DETERMINISM',
        message: expect.stringMatching(/Math\.random\(\)/),
        fix: expect.stringMatching(/ctx\.wf\.random\(\)/),
      });
      expect(await plain.run({}, { timeoutMs: 10_000 })).toBe(true);
    });

    it('default determinism warns once per task and call, with the line, and the task goes on', async () => {
      make();
      const lines: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        lines.push(String(chunk));
        return write(chunk, ...rest);
      }) as typeof process.stderr.write;
      try {
        const loose = app.task('loose', async (_: Record<string, never>, ctx) => {
          ctx.wf.now();
          return [Date.now() > 0, Date.now() > 0];
        });
        await app.startRunner({ concurrency: 1 });
        expect(await loose.run({}, { timeoutMs: 10_000 })).toEqual([true, true]);
      } finally {
        process.stderr.write = write;
      }
      const warnings = lines.filter((l) => l.includes('Date.now()') && l.includes('task=loose'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/where=\S*workflows\.[jt]s:\d+/);
    });

    it('1,000 invocations sharing a 1 MB argument store it once; purge removes it', async () => {
      make();
      const size = app.task(
        'size',
        async ({ blob, i }: { blob: string; i: number }) => blob.length + i,
      );
      const big = 'x'.repeat(1024 * 1024);
      const group = await size.parallelize(
        Array.from({ length: 1000 }, (_, i) => ({ i })),
        { common: { blob: big } },
      );
      const one = await size.call({ blob: big, i: -1 });
      const { data } = await runtimeOf(app).backends();
      const stats = await data.stats();
      expect(stats.count).toBe(1);
      expect(stats.bytes).toBeGreaterThanOrEqual(big.length);
      expect(stats.bytes).toBeLessThan(big.length + 100);
      console.log(
        `[${h.name}] 1,000 x 1 MB: data store holds ${stats.count} blob, ${stats.bytes} bytes`,
      );
      await app.startRunner({ concurrency: 8 });
      const results = await group.all();
      expect(results).toEqual(Array.from({ length: 1000 }, (_, i) => big.length + i));
      expect(await one.result({ timeoutMs: 20_000 })).toBe(big.length - 1);
      const { purged, blobsDeleted } = await purgeInvocations(runtimeOf(app), Date.now() + 1);
      expect(purged).toBe(1001);
      expect(blobsDeleted).toBe(1);
      expect(await data.stats()).toEqual({ count: 0, bytes: 0 });
    }, 120_000);
  });
}
