/**
 * Nothing is lost between a status write and its queue write (issue 15, defect 1): a change to a
 * queued status is written with its queue entry or not at all, and recovery requeues an invocation
 * left waiting with no entry (simulated here by writing the status through the backend directly,
 * as a runner killed between its two writes would leave it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../index.js';
import type { Backends } from '../../backends/registry.js';
import type { NewInvocation } from '../../core/records.js';
import { recoverOnce, requeueStranded } from '../../runtime/recovery.js';
import { openBackends, type BackendHarness } from '../harness.js';
import { runtimeOf } from '../../runtime/runtime.js';

const inv = (id: string, taskId = 't'): NewInvocation => ({
  id,
  taskId,
  args: '{}',
  priority: 5,
  parentId: null,
  workflowId: null,
});

/** `ids` stored and RUNNING on runner `owner` at `at`, with no queue entry. */
async function running(b: Backends, ids: string[], owner: string, at: number, taskId = 't') {
  await b.state.insert(
    ids.map((id) => inv(id, taskId)),
    at,
  );
  await b.orchestrator.acquire(ids, owner, at);
  await b.orchestrator.transitionMany(
    ids.map((id) => ({ id, to: 'RUNNING' as const, runnerId: owner })),
    at,
  );
}

const statuses = async (b: Backends, id: string) =>
  (await b.state.history(id)).map((h) => h.status);

export function routingSuite(h: BackendHarness): void {
  describe(`${h.name}: atomic routing and stranded invocations`, () => {
    let app: App | undefined;
    let b: Backends | undefined;
    afterEach(async () => {
      await app?.close();
      await b?.close();
      app = b = undefined;
    });

    it('transitionAndRoute writes a change to a queued status with its queue entry, a refused one with neither', async () => {
      b = await openBackends(h.freshConfig());
      const now = Date.now();
      await running(b, ['ok', 'refused'], 'r1', now);
      const out = await b.hot.transitionAndRoute(
        [
          { id: 'ok', to: 'RETRY', runnerId: 'r1', error: 'e', notBefore: now },
          { id: 'refused', to: 'RETRY', runnerId: 'someone-else', error: 'e', notBefore: now },
        ],
        now,
      );
      expect(out[0]).toMatchObject({ id: 'ok', status: 'RETRY' });
      expect(out[1]).toBeInstanceOf(Error);
      expect((await b.state.get('refused'))!.status).toBe('RUNNING');
      expect(await statuses(b, 'refused')).toEqual(['REGISTERED', 'PENDING', 'RUNNING']);
      expect(await b.broker.count()).toBe(1);
      expect(await b.broker.claim(10, 2000)).toEqual(['ok']);
    });

    it('a path (KILLED then REROUTED) is written whole with its queue entry, or not at all', async () => {
      b = await openBackends(h.freshConfig());
      const now = Date.now();
      await running(b, ['held'], 'r1', now);
      // Refused at its first step (not the owner), then at its last (KILLED -> RETRY is illegal).
      const refused = await b.hot.transitionAndRoute(
        [
          { id: 'held', to: 'REROUTED', via: ['KILLED'], runnerId: 'r2' },
          { id: 'held', to: 'RETRY', via: ['KILLED'], runnerId: 'r1' },
        ],
        now,
      );
      expect(refused.every((r) => r instanceof Error)).toBe(true);
      expect((await b.state.get('held'))!.status).toBe('RUNNING');
      expect(await statuses(b, 'held')).toEqual(['REGISTERED', 'PENDING', 'RUNNING']);
      expect(await b.broker.count()).toBe(0);
      const [moved] = await b.hot.transitionAndRoute(
        [{ id: 'held', to: 'REROUTED', via: ['KILLED'], runnerId: 'r1' }],
        now,
      );
      expect(moved).toMatchObject({ status: 'REROUTED', owner: null });
      expect(await statuses(b, 'held')).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'KILLED',
        'REROUTED',
      ]);
      expect(await b.broker.claim(10, 2000)).toEqual(['held']);
    });

    it('finishAndClaim routes a RETRY outcome in the same step', async () => {
      b = await openBackends(h.freshConfig());
      const now = Date.now();
      await running(b, ['again', 'done'], 'r1', now);
      const res = await b.hot.finishAndClaim(
        [
          // Delayed, so the claim that goes with the write cannot take it straight back.
          { id: 'again', to: 'RETRY', runnerId: 'r1', error: 'e', notBefore: now + 60_000 },
          { id: 'done', to: 'SUCCESS', runnerId: 'r1', result: '1' },
        ],
        0,
        'r1',
      );
      expect(res.done.map((r) => (r instanceof Error ? r.message : r.status))).toEqual([
        'RETRY',
        'SUCCESS',
      ]);
      expect(await b.broker.count()).toBe(1);
    });

    it('recovery requeues waiting invocations with no queue entry (not recent ones, not twice); each then runs once', async () => {
      app = taskapp({ ...h.freshConfig(), configFile: false });
      let calls = 0;
      const work = app.task('work', async () => {
        calls++;
      });
      const bk = await runtimeOf(app).backends();
      // Older than any grace period, the blind one included (a broker that cannot tell what it holds).
      const old = Date.now() - 3_600_000;
      await running(bk, ['s-retry', 's-rerouted'], 'dead-runner', old, work.id);
      await bk.orchestrator.transitionMany(
        [
          { id: 's-retry', to: 'RETRY', runnerId: 'dead-runner', error: 'e' },
          { id: 's-rerouted', to: 'KILLED', runnerId: 'dead-runner' },
        ],
        old,
      );
      await bk.orchestrator.transition(
        { id: 's-rerouted', to: 'REROUTED', runnerId: 'dead-runner' },
        old,
      );
      await bk.state.insert([inv('s-registered', work.id)], old);
      // Routed properly (its entry exists), and one a producer is between its two writes on.
      await bk.hot.enqueue([inv('queued', work.id)], old);
      await bk.state.insert([inv('fresh', work.id)], Date.now());
      const stranded = ['s-registered', 's-rerouted', 's-retry'];

      const report = await recoverOnce(bk, app.config.runner, 'recoverer');
      // A broker that cannot tell what it holds (RabbitMQ) requeues old waiting work blind.
      const expected = bk.broker.queued ? stranded : ['queued', ...stranded];
      expect(report.stranded.sort()).toEqual(expected);
      expect((await recoverOnce(bk, app.config.runner, 'recoverer')).stranded).toEqual([]);
      expect(await requeueStranded(bk, app.config.runner)).toEqual([]);
      expect(await bk.broker.count()).toBe(expected.length + 1);

      await app.startRunner({ concurrency: 4 });
      for (const id of ['queued', ...stranded]) {
        expect(await app.invocation(id).result({ timeoutMs: 20_000 })).toBeUndefined();
      }
      const recs = await bk.state.getMany(['queued', ...stranded, 'fresh']);
      expect(Object.fromEntries(recs.map((r) => [r.id, r.status]))).toEqual({
        queued: 'SUCCESS',
        's-registered': 'SUCCESS',
        's-rerouted': 'SUCCESS',
        's-retry': 'SUCCESS',
        fresh: 'REGISTERED',
      });
      // Exactly once each: one new attempt per invocation (the simulated crashed one is the first RUNNING of two).
      expect(calls).toBe(4);
      const attempts = async (id: string) =>
        (await statuses(bk, id)).filter((s) => s === 'RUNNING').length;
      expect(await attempts('s-retry')).toBe(2);
      expect(await attempts('s-rerouted')).toBe(2);
      expect(await attempts('s-registered')).toBe(1);
      expect(await attempts('queued')).toBe(1);
    });
  });
}
