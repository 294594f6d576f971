import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backends } from '../../backends/registry.js';
import {
  IllegalTransitionError,
  InvocationNotFoundError,
  WrongOwnerError,
} from '../../core/errors.js';
import { openBackends, type BackendHarness } from '../harness.js';
import { newInv } from './state.js';

export function orchestratorSuite(h: BackendHarness): void {
  describe(`${h.name}: orchestrator`, () => {
    let b: Backends;
    let cfg: ReturnType<BackendHarness['freshConfig']>;
    beforeEach(async () => {
      cfg = h.freshConfig();
      b = await openBackends(cfg);
    });
    afterEach(async () => {
      await b.close();
    });

    it('walks a full life with ownership, attempts and history', async () => {
      await b.state.insert([newInv('i')], 1);
      expect(
        (await b.orchestrator.acquire(['i'], 'r1', 2)).acquired.map((r) => [r.status, r.owner]),
      ).toEqual([['PENDING', 'r1']]);
      const running = await b.orchestrator.transition(
        { id: 'i', to: 'RUNNING', runnerId: 'r1' },
        3,
      );
      expect(running).toMatchObject({ status: 'RUNNING', owner: 'r1', attempt: 1 });
      await b.orchestrator.transition(
        { id: 'i', to: 'RETRY', runnerId: 'r1', error: '{"name":"E"}' },
        4,
      );
      expect(await b.state.get('i')).toMatchObject({
        status: 'RETRY',
        owner: null,
        error: '{"name":"E"}',
      });
      await b.orchestrator.acquire(['i'], 'r2', 5);
      await b.orchestrator.transition({ id: 'i', to: 'RUNNING', runnerId: 'r2' }, 6);
      await b.orchestrator.transition({ id: 'i', to: 'PAUSED', runnerId: 'r2' }, 7);
      await b.orchestrator.transition({ id: 'i', to: 'RESUMED', runnerId: 'r2' }, 8);
      const done = await b.orchestrator.transition(
        { id: 'i', to: 'SUCCESS', runnerId: 'r2', result: '3' },
        9,
      );
      expect(done).toMatchObject({ status: 'SUCCESS', owner: null, attempt: 2, result: '3' });
      expect(await b.state.history('i')).toEqual([
        { status: 'REGISTERED', runnerId: null, at: 1 },
        { status: 'PENDING', runnerId: 'r1', at: 2 },
        { status: 'RUNNING', runnerId: 'r1', at: 3 },
        { status: 'RETRY', runnerId: 'r1', at: 4 },
        { status: 'PENDING', runnerId: 'r2', at: 5 },
        { status: 'RUNNING', runnerId: 'r2', at: 6 },
        { status: 'PAUSED', runnerId: 'r2', at: 7 },
        { status: 'RESUMED', runnerId: 'r2', at: 8 },
        { status: 'SUCCESS', runnerId: 'r2', at: 9 },
      ]);
    });

    it('rejects illegal transitions and wrong owners, changing nothing', async () => {
      await b.state.insert([newInv('i')], 1);
      await expect(
        b.orchestrator.transition({ id: 'i', to: 'SUCCESS', runnerId: 'r1' }, 2),
      ).rejects.toBeInstanceOf(IllegalTransitionError);
      await b.orchestrator.acquire(['i'], 'r1', 2);
      await expect(
        b.orchestrator.transition({ id: 'i', to: 'RUNNING', runnerId: 'r2' }, 3),
      ).rejects.toBeInstanceOf(WrongOwnerError);
      await expect(
        b.orchestrator.transition({ id: 'nope', to: 'RUNNING', runnerId: 'r2' }, 3),
      ).rejects.toBeInstanceOf(InvocationNotFoundError);
      expect(await b.state.get('i')).toMatchObject({
        status: 'PENDING',
        owner: 'r1',
        updatedAt: 2,
      });
      expect((await b.state.history('i')).length).toBe(2);
    });

    it('a repeated PAUSED or RESUMED by the owner is a no-op (a duplicated wait hook), never an error', async () => {
      await b.state.insert([newInv('w')], 1);
      await b.orchestrator.acquire(['w'], 'r1', 2);
      await b.orchestrator.transition({ id: 'w', to: 'RUNNING', runnerId: 'r1' }, 3);
      await b.orchestrator.transition({ id: 'w', to: 'PAUSED', runnerId: 'r1' }, 4);
      expect(
        await b.orchestrator.transition({ id: 'w', to: 'PAUSED', runnerId: 'r1' }, 5),
      ).toMatchObject({ status: 'PAUSED', owner: 'r1', updatedAt: 4 });
      await b.orchestrator.transition({ id: 'w', to: 'RESUMED', runnerId: 'r1' }, 6);
      // Alone, in a batch, and through the hot path's outcome write.
      expect(
        await b.orchestrator.transition({ id: 'w', to: 'RESUMED', runnerId: 'r1' }, 7),
      ).toMatchObject({ status: 'RESUMED', owner: 'r1', updatedAt: 6 });
      const [again] = await b.orchestrator.transitionMany(
        [{ id: 'w', to: 'RESUMED', runnerId: 'r1' }],
        8,
      );
      expect(again).toMatchObject({ status: 'RESUMED', owner: 'r1' });
      const fused = await b.hot.finishAndClaim(
        [{ id: 'w', to: 'RESUMED', runnerId: 'r1' }],
        1,
        'r1',
      );
      expect(fused.done[0]).toMatchObject({ status: 'RESUMED', owner: 'r1' });
      // Another runner's repeat is still refused.
      await expect(
        b.orchestrator.transition({ id: 'w', to: 'RESUMED', runnerId: 'r2' }, 9),
      ).rejects.toBeInstanceOf(IllegalTransitionError);
      expect(
        await b.orchestrator.transition(
          { id: 'w', to: 'SUCCESS', runnerId: 'r1', result: '1' },
          10,
        ),
      ).toMatchObject({ status: 'SUCCESS' });
      expect((await b.state.history('w')).map((e) => e.status)).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'PAUSED',
        'RESUMED',
        'SUCCESS',
      ]);
    });

    it("lets any runner recover another runner's work", async () => {
      await b.state.insert([newInv('p'), newInv('r')], 1);
      await b.orchestrator.acquire(['p', 'r'], 'dead', 2);
      await b.orchestrator.transition({ id: 'r', to: 'RUNNING', runnerId: 'dead' }, 3);
      await b.orchestrator.transition({ id: 'p', to: 'PENDING_RECOVERY', runnerId: 'alive' }, 4);
      await b.orchestrator.transition({ id: 'r', to: 'RUNNING_RECOVERY', runnerId: 'alive' }, 4);
      for (const id of ['p', 'r']) {
        expect(
          await b.orchestrator.transition({ id, to: 'REROUTED', runnerId: 'alive' }, 5),
        ).toMatchObject({ status: 'REROUTED', owner: null });
      }
      expect((await b.orchestrator.acquire(['p', 'r'], 'alive', 6)).acquired.length).toBe(2);
    });

    it('transitionMany reports each request on its own', async () => {
      await b.state.insert([newInv('a'), newInv('b')], 1);
      await b.orchestrator.acquire(['a', 'b'], 'r', 2);
      const out = await b.orchestrator.transitionMany(
        [
          { id: 'a', to: 'RUNNING', runnerId: 'r' },
          { id: 'b', to: 'SUCCESS', runnerId: 'r' },
          { id: 'x', to: 'RUNNING', runnerId: 'r' },
        ],
        3,
      );
      expect(out[0]).toMatchObject({ id: 'a', status: 'RUNNING' });
      expect(out[1]).toBeInstanceOf(IllegalTransitionError);
      expect(out[2]).toBeInstanceOf(InvocationNotFoundError);
      expect(await b.state.get('b')).toMatchObject({ status: 'PENDING' });
    });

    it('acquires only waiting invocations, once, even with concurrent acquirers', async () => {
      const ids = Array.from({ length: 100 }, (_, i) => `i${i}`);
      await b.state.insert(
        ids.map((id) => newInv(id)),
        1,
      );
      const peers = h.shared ? await Promise.all([openBackends(cfg)]) : [];
      const got = await Promise.all(
        [b, b, ...peers].map((x, k) => x.orchestrator.acquire(ids, `r${k}`, 2)),
      );
      await Promise.all(peers.map((p) => p.close()));
      const all = got.flatMap((g) => g.acquired).map((r) => r.id);
      expect(all.length).toBe(100);
      expect(new Set(all).size).toBe(100);
      expect(await b.orchestrator.acquire(ids, 'late', 3)).toEqual({ acquired: [], requeue: [] });
    });

    it('finds work owned by dead runners and stale statuses', async () => {
      await b.state.insert([newInv('a'), newInv('b'), newInv('c')], 1);
      await b.orchestrator.acquire(['a'], 'live', 2);
      await b.orchestrator.acquire(['b', 'c'], 'dead', 2);
      await b.orchestrator.transition({ id: 'b', to: 'RUNNING', runnerId: 'dead' }, 10);
      expect(
        (await b.orchestrator.ownedByOthers(['live'], ['RUNNING', 'PAUSED'])).map((r) => r.id),
      ).toEqual(['b']);
      expect((await b.orchestrator.ownedByOthers(['live'], ['PENDING'])).map((r) => r.id)).toEqual([
        'c',
      ]);
      expect((await b.orchestrator.staleIn('PENDING', 5)).map((r) => r.id).sort()).toEqual([
        'a',
        'c',
      ]);
      expect(await b.orchestrator.staleIn('PENDING', 2)).toEqual([]);
    });

    it("finds the work one runner owns, in the statuses asked for (a runner's reconciliation)", async () => {
      await b.state.insert([newInv('a'), newInv('b'), newInv('c'), newInv('d')], 1);
      await b.orchestrator.acquire(['a', 'b'], 'me', 2);
      await b.orchestrator.acquire(['c'], 'other', 2);
      await b.orchestrator.transition({ id: 'a', to: 'RUNNING', runnerId: 'me' }, 3);
      await b.orchestrator.transition({ id: 'c', to: 'RUNNING', runnerId: 'other' }, 3);
      const owned = ['PENDING', 'RUNNING', 'PAUSED', 'RESUMED'];
      expect((await b.orchestrator.ownedBy('me', owned)).map((r) => r.id).sort()).toEqual([
        'a',
        'b',
      ]);
      expect((await b.orchestrator.ownedBy('me', ['RUNNING'])).map((r) => r.id)).toEqual(['a']);
      expect((await b.orchestrator.ownedBy('other', owned)).map((r) => r.id)).toEqual(['c']);
      // Finished: no longer owned.
      await b.orchestrator.transition({ id: 'a', to: 'SUCCESS', runnerId: 'me', result: '1' }, 4);
      expect((await b.orchestrator.ownedBy('me', owned)).map((r) => r.id)).toEqual(['b']);
      expect(await b.orchestrator.ownedBy('nobody', owned)).toEqual([]);
    });

    it('grants a lease to one holder until it expires', async () => {
      expect(await b.orchestrator.tryLease('recovery', 'r1', 1000, 0)).toBe(true);
      expect(await b.orchestrator.tryLease('recovery', 'r2', 1000, 500)).toBe(false);
      expect(await b.orchestrator.tryLease('recovery', 'r1', 1000, 600)).toBe(true);
      expect(await b.orchestrator.tryLease('recovery', 'r2', 1000, 1500)).toBe(false);
      expect(await b.orchestrator.tryLease('recovery', 'r2', 1000, 1601)).toBe(true);
      expect(await b.orchestrator.tryLease('other', 'r1', 1000, 1601)).toBe(true);
    });

    it('hot path: enqueue stores and routes; claimAndStart starts the waiting ones only, in queue order', async () => {
      await b.hot.enqueue(
        [newInv('h1', 't', { priority: 1 }), newInv('h2', 't', { priority: 9 }), newInv('h3')],
        1,
      );
      expect(await b.broker.count()).toBe(3);
      expect((await b.state.get('h1'))!.status).toBe('REGISTERED');
      // h3 is taken elsewhere before the claim: a duplicate delivery is dropped, not started twice.
      await b.orchestrator.acquire(['h3'], 'other', 2);
      const started = await b.hot.claimAndStart(10, 0, 'r1');
      expect(started.map((r) => [r.id, r.status, r.owner, r.attempt])).toEqual([
        ['h2', 'RUNNING', 'r1', 1],
        ['h1', 'RUNNING', 'r1', 1],
      ]);
      const h1 = await b.state.history('h1');
      expect(h1.map((e) => [e.status, e.runnerId])).toEqual([
        ['REGISTERED', null],
        ['PENDING', 'r1'],
        ['RUNNING', 'r1'],
      ]);
      // Read in bulk, the same entries in the same order.
      expect((await b.state.historyMany(['h1', 'h2'])).h1).toEqual(h1);
      expect(await b.broker.count()).toBe(0);
      expect(await b.hot.claimAndStart(10, 0, 'r1')).toEqual([]);
    });

    it('hot path: finishAndClaim writes outcomes (each validated alone) and starts the next ones in one step', async () => {
      await b.hot.enqueue([newInv('f1'), newInv('f2'), newInv('f3'), newInv('f4')], 1);
      const first = await b.hot.claimAndStart(2, 0, 'r1');
      expect(first.map((r) => r.id)).toEqual(['f1', 'f2']);
      const watch = b.state.watchFinal(['f1']);
      const res = await b.hot.finishAndClaim(
        [
          { id: 'f1', to: 'SUCCESS', runnerId: 'r1', result: '3' },
          { id: 'f2', to: 'SUCCESS', runnerId: 'other', result: '4' }, // not the owner: refused, the rest goes on
          { id: 'nope', to: 'FAILED', runnerId: 'r1', error: '{}' },
        ],
        10,
        'r1',
      );
      expect(res.done[0]).toMatchObject({ id: 'f1', status: 'SUCCESS', result: '3', owner: null });
      expect(res.done[1]).toBeInstanceOf(WrongOwnerError);
      expect(res.done[2]).toBeInstanceOf(InvocationNotFoundError);
      expect(res.started.map((r) => [r.id, r.status, r.owner])).toEqual([
        ['f3', 'RUNNING', 'r1'],
        ['f4', 'RUNNING', 'r1'],
      ]);
      expect((await watch.next(5000)).map((r) => r.id)).toEqual(['f1']);
      watch.close();
      expect((await b.state.history('f1')).map((e) => e.status)).toEqual([
        'REGISTERED',
        'PENDING',
        'RUNNING',
        'SUCCESS',
      ]);
      expect((await b.state.get('f2'))!.status).toBe('RUNNING');
      // Nothing left to claim: the outcomes are still written.
      const last = await b.hot.finishAndClaim(
        [{ id: 'f3', to: 'FAILED', runnerId: 'r1', error: '{}' }],
        10,
        'r1',
      );
      expect(last.started).toEqual([]);
      expect(last.done[0]).toMatchObject({ id: 'f3', status: 'FAILED' });
      expect((await b.state.get('f3'))!.status).toBe('FAILED');
    });

    it('hot path: finishAndClaim with max 0 writes the outcomes and starts nothing', async () => {
      await b.hot.enqueue([newInv('z1'), newInv('z2'), newInv('z3')], 1);
      const first = await b.hot.claimAndStart(1, 0, 'r1');
      expect(first.map((r) => r.id)).toEqual(['z1']);
      const res = await b.hot.finishAndClaim(
        [{ id: 'z1', to: 'SUCCESS', runnerId: 'r1', result: '1' }],
        0,
        'r1',
      );
      expect(res.done[0]).toMatchObject({ id: 'z1', status: 'SUCCESS' });
      expect(res.started).toEqual([]);
      expect((await b.state.getMany(['z2', 'z3'])).map((r) => r!.status)).toEqual([
        'REGISTERED',
        'REGISTERED',
      ]);
    });

    it('purges final invocations older than a time, with their history', async () => {
      await b.state.insert([newInv('old'), newInv('new'), newInv('open')], 1);
      for (const [id, at] of [
        ['old', 10],
        ['new', 100],
      ] as const) {
        await b.orchestrator.acquire([id], 'r', at);
        await b.orchestrator.transition({ id, to: 'RUNNING', runnerId: 'r' }, at);
        await b.orchestrator.transition({ id, to: 'FAILED', runnerId: 'r', error: '{}' }, at);
      }
      expect(await b.orchestrator.purge(50)).toBe(1);
      expect(await b.state.get('old')).toBeNull();
      expect(await b.state.history('old')).toEqual([]);
      expect((await b.state.list({})).map((r) => r.id).sort()).toEqual(['new', 'open']);
    });
  });
}
