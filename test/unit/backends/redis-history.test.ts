/**
 * Redis history with entries implied by the record (lua/lib.lua, full_history): the stored list
 * h:<id> leaves out REGISTERED at `created`, a claim from REGISTERED (its `claimed` field) and a
 * final entry made by the record's owner (or by no runner, with no owner), and history() puts them
 * back, so every change still reads in order with its time and runner. Lists written before, which
 * hold every entry, read unchanged.
 */
import { expect, it } from 'vitest';
import { transitionOne as transition } from '../../../src/backends/orchestrator.js';
import type { HistoryEntry } from '../../../src/core/records.js';
import { newInv } from '../../../src/testing/suites/state.js';
import { eachRedisApp } from '../../helpers/redis-app.js';
import { describeWithService } from '../../helpers/services.js';

await describeWithService('redis', '127.0.0.1', 6379, 'redis history implied by the record', () => {
  const app = eachRedisApp('hist');

  const steps = (h: HistoryEntry[]) => h.map((e) => [e.status, e.runnerId]);

  it('a run to SUCCESS stores no list and reads whole, with times and runners', async () => {
    await app.b.hot.enqueue([newInv('a')], 1000);
    expect(await app.admin.exists(`${app.P}h:a`)).toBe(0);
    expect(steps(await app.b.state.history('a'))).toEqual([['REGISTERED', null]]);
    const [started] = await app.b.hot.claimAndStart(1, 100, 'r1');
    const { done } = await app.b.hot.finishAndClaim(
      [{ id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '3' }],
      0,
      'r1',
    );
    expect(await app.admin.exists(`${app.P}h:a`)).toBe(0);
    const h = await app.b.state.history('a');
    expect(steps(h)).toEqual([
      ['REGISTERED', null],
      ['PENDING', 'r1'],
      ['RUNNING', 'r1'],
      ['SUCCESS', 'r1'],
    ]);
    const rec = (await app.b.state.get('a'))!;
    expect(h.map((e) => e.at)).toEqual([
      rec.createdAt,
      started!.updatedAt,
      started!.updatedAt,
      rec.updatedAt,
    ]);
    expect(done[0]).toMatchObject({ status: 'SUCCESS' });
    expect(await app.b.state.historyMany(['a', 'unknown'])).toEqual({ a: h });
  });

  it('stores the claim when its claimed value would not fit a listpack field (64 bytes)', async () => {
    // A runner id of 60 bytes fits the owner field, but not with the claim's time before it.
    const long = `thread@${'h'.repeat(40)}:1234:abcdefgh`.slice(0, 60);
    await app.b.hot.enqueue([newInv('l'), newInv('s')], 1000);
    await app.b.hot.claimAndStart(1, 100, long);
    await app.b.hot.claimAndStart(1, 100, 'r1');
    expect(await app.admin.hexists(`${app.P}i:l`, 'claimed')).toBe(0);
    expect(await app.admin.lrange(`${app.P}h:l`, 0, -1)).toHaveLength(2);
    expect(await app.admin.object('ENCODING', `${app.P}i:l`)).toBe('listpack');
    expect(await app.admin.object('ENCODING', `${app.P}i:s`)).toBe('listpack');
    expect(steps(await app.b.state.history('l'))).toEqual([
      ['REGISTERED', null],
      ['PENDING', long],
      ['RUNNING', long],
    ]);
  });

  it('stores what follows a first claim: a retry, another runner claiming it, its finish', async () => {
    await app.b.hot.enqueue([newInv('r')], 1000);
    await app.b.hot.claimAndStart(1, 100, 'r1');
    await app.b.hot.finishAndClaim([{ id: 'r', to: 'RETRY', runnerId: 'r1', error: 'e' }], 0, 'r1');
    expect((await app.b.hot.claimAndStart(1, 100, 'r2')).map((x) => x.id)).toEqual(['r']);
    await app.b.hot.finishAndClaim(
      [{ id: 'r', to: 'SUCCESS', runnerId: 'r2', result: '1' }],
      0,
      'r2',
    );
    expect(await app.admin.lrange(`${app.P}h:r`, 0, -1)).toHaveLength(3);
    expect(steps(await app.b.state.history('r'))).toEqual([
      ['REGISTERED', null],
      ['PENDING', 'r1'],
      ['RUNNING', 'r1'],
      ['RETRY', 'r1'],
      ['PENDING', 'r2'],
      ['RUNNING', 'r2'],
      ['SUCCESS', 'r2'],
    ]);
  });

  it('stores a final entry another runner or no runner made, and every step of a path', async () => {
    await app.b.hot.enqueue([newInv('c'), newInv('f'), newInv('k')], 1000);
    // Cancelled while waiting: no owner, no runner, implied.
    await transition(app.b.orchestrator, { id: 'c', to: 'CANCELLED', runnerId: null }, 5);
    expect(await app.admin.exists(`${app.P}h:c`)).toBe(0);
    expect(steps(await app.b.state.history('c'))).toEqual([
      ['REGISTERED', null],
      ['CANCELLED', null],
    ]);
    // c's queue entry is taken and skipped (not waiting any more): three to start f and k.
    expect((await app.b.hot.claimAndStart(3, 100, 'r1')).map((r) => r.id)).toEqual(['f', 'k']);
    // Recovery fails f for its dead owner r1: the last entry is recovery's, stored.
    await transition(app.b.orchestrator, { id: 'f', to: 'RUNNING_RECOVERY', runnerId: 'rec' }, 6);
    await transition(app.b.orchestrator, { id: 'f', to: 'FAILED', runnerId: 'rec', error: 'x' }, 7);
    expect(steps(await app.b.state.history('f'))).toEqual([
      ['REGISTERED', null],
      ['PENDING', 'r1'],
      ['RUNNING', 'r1'],
      ['RUNNING_RECOVERY', 'rec'],
      ['FAILED', 'rec'],
    ]);
    expect(await app.admin.lrange(`${app.P}h:f`, -1, -1)).toEqual(['7|FAILED|rec']);
    // Killed then rerouted, waiting again (a path of two steps), then cancelled: nothing implied
    // at the end while it is not final; the final cancel by no runner (owner field r1) is stored.
    await transition(
      app.b.orchestrator,
      { id: 'k', to: 'REROUTED', via: ['KILLED'], runnerId: 'r1' },
      8,
    );
    expect(steps(await app.b.state.history('k')).slice(-2)).toEqual([
      ['KILLED', 'r1'],
      ['REROUTED', 'r1'],
    ]);
    await transition(app.b.orchestrator, { id: 'k', to: 'CANCELLED', runnerId: null }, 9);
    expect(steps(await app.b.state.history('k'))).toEqual([
      ['REGISTERED', null],
      ['PENDING', 'r1'],
      ['RUNNING', 'r1'],
      ['KILLED', 'r1'],
      ['REROUTED', 'r1'],
      ['CANCELLED', null],
    ]);
    expect(await app.admin.lrange(`${app.P}h:k`, -1, -1)).toEqual(['9|CANCELLED']);
  });

  it('reads a list written before (every entry stored) as it is, also when finished since', async () => {
    await app.b.hot.enqueue([newInv('old'), newInv('mixed')], 1000);
    const rec = (await app.b.state.get('old'))!;
    // As the previous version stored them: every entry, REGISTERED first and the final entry last.
    const old = [`${rec.createdAt}|REGISTERED`, '10|PENDING|r0', '10|RUNNING|r0', '20|SUCCESS|r0'];
    await app.admin.rpush(`${app.P}h:old`, ...old);
    await app.admin.hset(`${app.P}i:old`, 'status', 'SUCCESS', 'updated', '20', 'owner', 'r0');
    expect(steps(await app.b.state.history('old'))).toEqual([
      ['REGISTERED', null],
      ['PENDING', 'r0'],
      ['RUNNING', 'r0'],
      ['SUCCESS', 'r0'],
    ]);
    expect((await app.b.state.history('old')).map((e) => e.at)).toEqual([
      rec.createdAt,
      10,
      10,
      20,
    ]);
    // Stored by the previous version (REGISTERED), then claimed and finished by this one.
    await app.admin.rpush(`${app.P}h:mixed`, `${rec.createdAt}|REGISTERED`);
    expect((await app.b.hot.claimAndStart(2, 100, 'r1')).map((x) => x.id)).toEqual(['mixed']);
    // Stored by the previous version, finished by this one: its final entry is implied.
    await app.b.hot.finishAndClaim(
      [{ id: 'mixed', to: 'FAILED', runnerId: 'r1', error: 'e' }],
      0,
      'r1',
    );
    expect(steps(await app.b.state.history('mixed'))).toEqual([
      ['REGISTERED', null],
      ['PENDING', 'r1'],
      ['RUNNING', 'r1'],
      ['FAILED', 'r1'],
    ]);
  });
});
