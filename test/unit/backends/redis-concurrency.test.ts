/**
 * The redis backend's concurrency bookkeeping, checked at the backend level: the same decisions as
 * decide()/blockedPath(), and the keys the Lua scripts keep (per-key active sets, registration
 * keys, start-time sets) stay exact through every status change path and are gone afterwards.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import type { Backends } from '../../../src/backends/registry.js';
import { keyPrefix } from '../../../src/backends/redis/keys.js';
import type { ConcurrencyControl } from '../../../src/core/records.js';
import { REROUTE_DELAY_MS } from '../../../src/orchestration/concurrency.js';
import { openBackends } from '../../compliance/harness.js';
import { newInv } from '../../../src/testing/suites/state.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../../helpers/redis-keys.js';
import { describeWithService } from '../../helpers/services.js';

const base = testPrefix('cc');
let n = 0;

await describeWithService('redis', '127.0.0.1', 6379, 'redis concurrency bookkeeping', () => {
  let b: Backends;
  let admin: Redis;
  let P: string;
  beforeEach(async () => {
    const prefix = `${base}${n++}:`;
    b = await openBackends({ backend: 'redis', redis: { url: REDIS_URL, prefix } });
    P = keyPrefix('taskapp', prefix);
    admin = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await b.close();
    admin.disconnect();
  });
  afterAll(async () => {
    await deleteKeys(base);
  });

  const one: ConcurrencyControl = { key: 'k', maxRunning: 1, reroute: true };
  const statuses = async (id: string) => (await b.state.history(id)).map((e) => e.status);

  it('holds one slot per key through RUNNING, PAUSED, recovery and success', async () => {
    await b.state.insert(
      ['a', 'b', 'c'].map((id) => newInv(id, 't', { concurrency: one })),
      1,
    );
    const first = await b.orchestrator.acquire(['a', 'b'], 'r1', 10);
    expect(first.acquired.map((r) => [r.id, r.status, r.concurrency])).toEqual([
      ['a', 'PENDING', one],
    ]);
    expect(first.requeue).toEqual([{ id: 'b', priority: 5, notBefore: 10 + REROUTE_DELAY_MS }]);
    expect(await statuses('b')).toEqual(['REGISTERED', 'CONCURRENCY_CONTROLLED', 'REROUTED']);
    expect(await admin.smembers(`${P}run:k`)).toEqual(['a']);
    for (const to of ['RUNNING', 'PAUSED', 'RESUMED'] as const) {
      await b.orchestrator.transition({ id: 'a', to, runnerId: 'r1' }, 11);
      expect((await b.orchestrator.acquire(['b'], 'r2', 12)).acquired).toEqual([]);
    }
    // Recovery frees the slot as soon as the record leaves the active statuses.
    await b.orchestrator.transition({ id: 'a', to: 'RUNNING_RECOVERY', runnerId: 'r2' }, 13);
    expect(await admin.exists(`${P}run:k`)).toBe(0);
    expect((await b.orchestrator.acquire(['b'], 'r2', 14)).acquired.map((r) => r.id)).toEqual([
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
    await b.orchestrator.transition({ id: 'b', to: 'RUNNING', runnerId: 'r2' }, 15);
    await b.orchestrator.transition({ id: 'b', to: 'SUCCESS', runnerId: 'r2', result: '1' }, 16);
    expect(await admin.exists(`${P}run:k`)).toBe(0);
    expect((await b.orchestrator.acquire(['c'], 'r2', 17)).acquired.map((r) => r.id)).toEqual([
      'c',
    ]);
  });

  it('without reroute a REGISTERED one ends final and wakes result waiters', async () => {
    const cc = { ...one, reroute: false };
    await b.state.insert(
      ['a', 'b'].map((id) => newInv(id, 't', { concurrency: cc })),
      1,
    );
    await b.orchestrator.acquire(['a'], 'r1', 2);
    await b.orchestrator.transition({ id: 'a', to: 'RUNNING', runnerId: 'r1' }, 3);
    const watch = b.state.watchFinal(['b']);
    expect(await b.orchestrator.acquire(['b'], 'r1', 4)).toEqual({ acquired: [], requeue: [] });
    expect((await watch.next(5000)).map((r) => [r.id, r.status])).toEqual([
      ['b', 'CONCURRENCY_CONTROLLED_FINAL'],
    ]);
    watch.close();
  });

  it('a blocked RETRY stays RETRY and is only requeued', async () => {
    await b.state.insert(
      ['a', 'c'].map((id) => newInv(id, 't', { concurrency: one })),
      1,
    );
    await b.orchestrator.acquire(['a'], 'r1', 2);
    await b.orchestrator.transition({ id: 'a', to: 'RUNNING', runnerId: 'r1' }, 3);
    await b.orchestrator.transition({ id: 'a', to: 'RETRY', runnerId: 'r1' }, 4);
    await b.orchestrator.acquire(['c'], 'r2', 5);
    expect(await b.orchestrator.acquire(['a'], 'r1', 6)).toEqual({
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
    await b.state.insert(
      ['a', 'b', 'c', 'd'].map((id) => newInv(id, 't', { concurrency: cc })),
      1,
    );
    expect((await b.orchestrator.acquire(['a'], 'x', 1000)).acquired.length).toBe(1);
    expect((await b.orchestrator.acquire(['b'], 'x', 1050)).acquired.length).toBe(1);
    expect((await b.orchestrator.acquire(['c'], 'x', 1060)).requeue).toEqual([
      { id: 'c', priority: 5, notBefore: 1101 },
    ]);
    // Claimed before its slot: back to the queue for that slot, its history unchanged.
    expect((await b.orchestrator.acquire(['c'], 'x', 1100)).requeue).toEqual([
      { id: 'c', priority: 5, notBefore: 1101 },
    ]);
    const bounces = (await b.state.history('c')).filter(
      (e) => e.status === 'CONCURRENCY_CONTROLLED',
    );
    expect(bounces.length).toBe(1);
    expect((await b.orchestrator.acquire(['c'], 'x', 1101)).acquired.length).toBe(1);
    expect((await b.orchestrator.acquire(['d'], 'x', 1120)).requeue).toEqual([
      { id: 'd', priority: 5, notBefore: 1151 },
    ]);
    // b's and c's starts, and d's reservation (a's start left the window).
    expect(await admin.zcard(`${P}rate:r`)).toBe(3);
    expect(await admin.pttl(`${P}rate:r`)).toBeGreaterThan(0);
  });

  it('reuses a registration key only while its invocation is REGISTERED, and drops the key after', async () => {
    const ids = await b.state.insert(
      [
        newInv('a', 't', { registrationKey: 'K' }),
        newInv('b', 't', { registrationKey: 'K' }),
        newInv('c'),
      ],
      1,
    );
    expect(ids).toEqual(['a', 'a', 'c']);
    expect(await b.state.insert([newInv('d', 't', { registrationKey: 'K' })], 2)).toEqual(['a']);
    expect(await b.state.get('b')).toBeNull();
    await b.orchestrator.acquire(['a'], 'r', 3);
    expect(await admin.exists(`${P}reg:K`)).toBe(0);
    expect(await b.state.insert([newInv('e', 't', { registrationKey: 'K' })], 4)).toEqual(['e']);
    expect(await admin.get(`${P}reg:K`)).toBe('e');
  });

  it('purge leaves no bookkeeping keys behind', async () => {
    await b.state.insert([newInv('a', 't', { concurrency: one, registrationKey: 'K' })], 1);
    await b.orchestrator.acquire(['a'], 'r', 2);
    await b.orchestrator.transition({ id: 'a', to: 'RUNNING', runnerId: 'r' }, 3);
    await b.orchestrator.transition({ id: 'a', to: 'SUCCESS', runnerId: 'r', result: '1' }, 4);
    expect(await b.orchestrator.purge(10)).toBe(1);
    const left = await admin.keys(`${P.replace(/[*?[\]\\]/g, '\\$&')}*`);
    expect(left.filter((k) => /:(run|reg|rate):/.test(k))).toEqual([]);
  });

  it('the fused hot path: enqueue routes only stored ones; claimAndStart starts one per slot and requeues the rest', async () => {
    const ids = await b.hot.enqueue(
      [
        newInv('a', 't', { concurrency: one }),
        newInv('b', 't', { concurrency: one, registrationKey: 'K' }),
        newInv('c', 't', { concurrency: one, registrationKey: 'K' }),
      ],
      Date.now(),
    );
    expect(ids).toEqual(['a', 'b', 'b']);
    expect(await b.broker.count()).toBe(2);
    const started = await b.hot.claimAndStart(10, 0, 'r1');
    expect(started.map((r) => [r.id, r.status, r.owner, r.attempt])).toEqual([
      ['a', 'RUNNING', 'r1', 1],
    ]);
    expect(await statuses('b')).toEqual(['REGISTERED', 'CONCURRENCY_CONTROLLED', 'REROUTED']);
    expect(await b.broker.count()).toBe(1); // b waits in the delayed queue
    expect(await b.hot.claimAndStart(10, 0, 'r1')).toEqual([]);
    await b.orchestrator.transition(
      { id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '1' },
      Date.now(),
    );
    const next = await b.hot.claimAndStart(10, 5000, 'r2');
    expect(next.map((r) => [r.id, r.status])).toEqual([['b', 'RUNNING']]);
    expect(await b.broker.count()).toBe(0);
  });
});
