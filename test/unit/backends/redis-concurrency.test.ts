/**
 * The redis backend's concurrency bookkeeping, checked at the backend level: the same decisions as
 * decide()/blockedPath(), and the keys the Lua scripts keep (per-key active sets, registration
 * keys, start-time sets) stay exact through every status change path and are gone afterwards.
 */
import { expect, it } from 'vitest';
import type { ConcurrencyControl } from '../../../src/core/records.js';
import { REROUTE_DELAY_MS } from '../../../src/orchestration/concurrency.js';
import { newInv } from '../../../src/testing/suites/state.js';
import { eachRedisApp } from '../../helpers/redis-app.js';
import { describeWithService } from '../../helpers/services.js';

await describeWithService('redis', '127.0.0.1', 6379, 'redis concurrency bookkeeping', () => {
  const app = eachRedisApp('cc');

  const one: ConcurrencyControl = { key: 'k', maxRunning: 1, reroute: true };
  const statuses = async (id: string) => (await app.b.state.history(id)).map((e) => e.status);

  it('holds one slot per key through RUNNING, PAUSED, recovery and success', async () => {
    await app.b.state.insert(
      ['a', 'b', 'c'].map((id) => newInv(id, 't', { concurrency: one })),
      1,
    );
    const first = await app.b.orchestrator.acquire(['a', 'b'], 'r1', 10);
    expect(first.acquired.map((r) => [r.id, r.status, r.concurrency])).toEqual([
      ['a', 'PENDING', one],
    ]);
    expect(first.requeue).toEqual([{ id: 'b', priority: 5, notBefore: 10 + REROUTE_DELAY_MS }]);
    expect(await statuses('b')).toEqual(['REGISTERED', 'CONCURRENCY_CONTROLLED', 'REROUTED']);
    expect(await app.admin.smembers(`${app.P}run:k`)).toEqual(['a']);
    for (const to of ['RUNNING', 'PAUSED', 'RESUMED'] as const) {
      await app.b.orchestrator.transition({ id: 'a', to, runnerId: 'r1' }, 11);
      expect((await app.b.orchestrator.acquire(['b'], 'r2', 12)).acquired).toEqual([]);
    }
    // Recovery frees the slot as soon as the record leaves the active statuses.
    await app.b.orchestrator.transition({ id: 'a', to: 'RUNNING_RECOVERY', runnerId: 'r2' }, 13);
    expect(await app.admin.exists(`${app.P}run:k`)).toBe(0);
    expect((await app.b.orchestrator.acquire(['b'], 'r2', 14)).acquired.map((r) => r.id)).toEqual([
      'b',
    ]);
    const blocked = ['CONCURRENCY_CONTROLLED', 'REROUTED'];
    expect(await statuses('b')).toEqual([
      'REGISTERED',
      ...blocked,
      ...blocked,
      ...blocked,
      ...blocked,
      'PENDING',
    ]);
    await app.b.orchestrator.transition({ id: 'b', to: 'RUNNING', runnerId: 'r2' }, 15);
    await app.b.orchestrator.transition(
      { id: 'b', to: 'SUCCESS', runnerId: 'r2', result: '1' },
      16,
    );
    expect(await app.admin.exists(`${app.P}run:k`)).toBe(0);
    expect((await app.b.orchestrator.acquire(['c'], 'r2', 17)).acquired.map((r) => r.id)).toEqual([
      'c',
    ]);
  });

  it('without reroute a REGISTERED one ends final and wakes result waiters', async () => {
    const cc = { ...one, reroute: false };
    await app.b.state.insert(
      ['a', 'b'].map((id) => newInv(id, 't', { concurrency: cc })),
      1,
    );
    await app.b.orchestrator.acquire(['a'], 'r1', 2);
    await app.b.orchestrator.transition({ id: 'a', to: 'RUNNING', runnerId: 'r1' }, 3);
    const watch = app.b.state.watchFinal(['b']);
    expect(await app.b.orchestrator.acquire(['b'], 'r1', 4)).toEqual({ acquired: [], requeue: [] });
    expect((await watch.next(5000)).map((r) => [r.id, r.status])).toEqual([
      ['b', 'CONCURRENCY_CONTROLLED_FINAL'],
    ]);
    watch.close();
  });

  it('a blocked RETRY stays RETRY and is only requeued', async () => {
    await app.b.state.insert(
      ['a', 'c'].map((id) => newInv(id, 't', { concurrency: one })),
      1,
    );
    await app.b.orchestrator.acquire(['a'], 'r1', 2);
    await app.b.orchestrator.transition({ id: 'a', to: 'RUNNING', runnerId: 'r1' }, 3);
    await app.b.orchestrator.transition({ id: 'a', to: 'RETRY', runnerId: 'r1' }, 4);
    await app.b.orchestrator.acquire(['c'], 'r2', 5);
    expect(await app.b.orchestrator.acquire(['a'], 'r1', 6)).toEqual({
      acquired: [],
      requeue: [{ id: 'a', priority: 5, notBefore: 6 + REROUTE_DELAY_MS }],
    });
    expect(await statuses('a')).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'RETRY']);
  });

  it('rate limits starts per key: a blocked one reserves the slot the window frees and runs there', async () => {
    const cc: ConcurrencyControl = {
      key: 'r',
      maxRunning: 0,
      rateCount: 2,
      rateWindowMs: 100,
      reroute: false,
    };
    await app.b.state.insert(
      ['a', 'b', 'c', 'd'].map((id) => newInv(id, 't', { concurrency: cc })),
      1,
    );
    expect((await app.b.orchestrator.acquire(['a'], 'x', 1000)).acquired.length).toBe(1);
    expect((await app.b.orchestrator.acquire(['b'], 'x', 1050)).acquired.length).toBe(1);
    expect((await app.b.orchestrator.acquire(['c'], 'x', 1060)).requeue).toEqual([
      { id: 'c', priority: 5, notBefore: 1101 },
    ]);
    // Claimed before its slot: back to the queue for that slot, its history unchanged.
    expect((await app.b.orchestrator.acquire(['c'], 'x', 1100)).requeue).toEqual([
      { id: 'c', priority: 5, notBefore: 1101 },
    ]);
    const bounces = (await app.b.state.history('c')).filter(
      (e) => e.status === 'CONCURRENCY_CONTROLLED',
    );
    expect(bounces.length).toBe(1);
    expect((await app.b.orchestrator.acquire(['c'], 'x', 1101)).acquired.length).toBe(1);
    expect((await app.b.orchestrator.acquire(['d'], 'x', 1120)).requeue).toEqual([
      { id: 'd', priority: 5, notBefore: 1151 },
    ]);
    // b's and c's starts, and d's reservation (a's start left the window).
    expect(await app.admin.zcard(`${app.P}rate:r`)).toBe(3);
    expect(await app.admin.pttl(`${app.P}rate:r`)).toBeGreaterThan(0);
  });

  it('reuses a registration key only while its invocation is REGISTERED, and drops the key after', async () => {
    const ids = await app.b.state.insert(
      [
        newInv('a', 't', { registrationKey: 'K' }),
        newInv('b', 't', { registrationKey: 'K' }),
        newInv('c'),
      ],
      1,
    );
    expect(ids).toEqual(['a', 'a', 'c']);
    expect(await app.b.state.insert([newInv('d', 't', { registrationKey: 'K' })], 2)).toEqual([
      'a',
    ]);
    expect(await app.b.state.get('b')).toBeNull();
    await app.b.orchestrator.acquire(['a'], 'r', 3);
    expect(await app.admin.exists(`${app.P}reg:K`)).toBe(0);
    expect(await app.b.state.insert([newInv('e', 't', { registrationKey: 'K' })], 4)).toEqual([
      'e',
    ]);
    expect(await app.admin.get(`${app.P}reg:K`)).toBe('e');
  });

  it('purge leaves no bookkeeping keys behind', async () => {
    await app.b.state.insert([newInv('a', 't', { concurrency: one, registrationKey: 'K' })], 1);
    await app.b.orchestrator.acquire(['a'], 'r', 2);
    await app.b.orchestrator.transition({ id: 'a', to: 'RUNNING', runnerId: 'r' }, 3);
    await app.b.orchestrator.transition({ id: 'a', to: 'SUCCESS', runnerId: 'r', result: '1' }, 4);
    expect(await app.b.orchestrator.purge(10)).toBe(1);
    const left = await app.admin.keys(`${app.P.replace(/[*?[\]\\]/g, '\\$&')}*`);
    expect(left.filter((k) => /:(run|reg|rate):/.test(k))).toEqual([]);
  });

  it('the fused hot path: enqueue routes only stored ones; claimAndStart starts one per slot and requeues the rest', async () => {
    const ids = await app.b.hot.enqueue(
      [
        newInv('a', 't', { concurrency: one }),
        newInv('b', 't', { concurrency: one, registrationKey: 'K' }),
        newInv('c', 't', { concurrency: one, registrationKey: 'K' }),
      ],
      Date.now(),
    );
    expect(ids).toEqual(['a', 'b', 'b']);
    expect(await app.b.broker.count()).toBe(2);
    const started = await app.b.hot.claimAndStart(10, 0, 'r1');
    expect(started.map((r) => [r.id, r.status, r.owner, r.attempt])).toEqual([
      ['a', 'RUNNING', 'r1', 1],
    ]);
    expect(await statuses('b')).toEqual(['REGISTERED', 'CONCURRENCY_CONTROLLED', 'REROUTED']);
    expect(await app.b.broker.count()).toBe(1); // b waits in the delayed queue
    expect(await app.b.hot.claimAndStart(10, 0, 'r1')).toEqual([]);
    await app.b.orchestrator.transition(
      { id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '1' },
      Date.now(),
    );
    const next = await app.b.hot.claimAndStart(10, 5000, 'r2');
    expect(next.map((r) => [r.id, r.status])).toEqual([['b', 'RUNNING']]);
    expect(await app.b.broker.count()).toBe(0);
  });
});
