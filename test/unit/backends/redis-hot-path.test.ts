/**
 * The redis hot path's cheaper bookkeeping, checked against what is stored: finish_claim's compact
 * replies (rebuilt from the records the hot path started) equal the stored records, and the status
 * indexes written once per script (batch_index/flush_index in lua/lib.lua) hold each invocation
 * exactly once, under its current status, whatever path it took within one script.
 */
import { expect, it, vi } from 'vitest';
import type { RedisStateBackend } from '../../../src/backends/redis/state.js';
import type { RedisOrchestrator } from '../../../src/backends/redis/orchestrator.js';
import type { RedisFinals } from '../../../src/backends/redis/finals.js';
import { until } from '../../helpers/until.js';
import type { InvocationRecord } from '../../../src/core/records.js';
import {
  FINAL_STATUSES,
  OWNED_STATUSES,
  QUEUED_STATUSES,
  RECOVERY_STATUSES,
  REPEATABLE_STATUSES,
  STATUSES,
  TRANSITIONS,
  type Status,
} from '../../../src/core/status.js';
import { statusPrelude } from '../../../src/backends/redis/scripts.js';
import { ACQUIRABLE } from '../../../src/orchestration/apply-transition.js';
import { ACTIVE_STATUSES } from '../../../src/orchestration/concurrency.js';
import { openBackends } from '../../compliance/harness.js';
import { newInv } from '../../../src/testing/suites/state.js';
import { REDIS_URL } from '../../helpers/redis-keys.js';
import { eachRedisApp } from '../../helpers/redis-app.js';
import { describeWithService } from '../../helpers/services.js';

await describeWithService('redis', '127.0.0.1', 6379, 'redis hot path bookkeeping', () => {
  const app = eachRedisApp('hot');

  /** Every status index's members -> their status; fails on an id indexed twice. */
  async function indexed(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const s of STATUSES) {
      for (const id of await app.admin.zrange(`${app.P}s:${s}`, 0, -1)) {
        expect(out[id], `${id} in s:${out[id]} and s:${s}`).toBeUndefined();
        out[id] = s;
      }
    }
    return out;
  }

  async function stored(ids: string[]): Promise<Record<string, string>> {
    return Object.fromEntries((await app.b.state.getMany(ids)).map((r) => [r.id, r.status]));
  }

  it('finishAndClaim replies the records as stored, for started and for unknown ones', async () => {
    const ids = ['a', 'b', 'c', 'd'];
    await app.b.hot.enqueue(
      ids.map((id) => newInv(id, 't')),
      1,
    );
    expect(await indexed()).toEqual(Object.fromEntries(ids.map((id) => [id, 'REGISTERED'])));
    const started = await app.b.hot.claimAndStart(2, 100, 'r1');
    expect(started.map((r) => [r.status, r.owner, r.attempt])).toEqual([
      ['RUNNING', 'r1', 1],
      ['RUNNING', 'r1', 1],
    ]);
    const [x, y] = started as [InvocationRecord, InvocationRecord];
    // Known to this hot path (compact replies): a pause, a resume and a success in one batch.
    const first = await app.b.hot.finishAndClaim(
      [
        { id: x.id, to: 'PAUSED', runnerId: 'r1' },
        { id: x.id, to: 'RESUMED', runnerId: 'r1' },
        { id: y.id, to: 'SUCCESS', runnerId: 'r1', result: '42' },
      ],
      1,
      'r1',
    );
    const after = await app.b.state.getMany([x.id, y.id]);
    expect(first.done).toEqual([{ ...after[0], status: 'PAUSED' }, after[0], after[1]]);
    expect(first.done[2]).toMatchObject({ status: 'SUCCESS', result: '42', owner: null });
    expect(first.started).toHaveLength(1);
    // A wrong owner is an error, and the record stays as it was.
    const wrong = await app.b.hot.finishAndClaim(
      [{ id: x.id, to: 'SUCCESS', runnerId: 'r2' }],
      1,
      'r2',
    );
    expect(wrong.done[0]).toBeInstanceOf(Error);
    // Started elsewhere (another process's hot path): whole records from the server.
    const other = await openBackends({
      backend: 'redis',
      redis: { url: REDIS_URL, prefix: app.prefix },
    });
    try {
      const z = first.started[0]!;
      const res = await other.hot.finishAndClaim(
        [
          { id: x.id, to: 'FAILED', runnerId: 'r1', error: '{"message":"boom"}' },
          { id: z.id, to: 'RETRY', runnerId: 'r1', error: '{"message":"again"}', notBefore: 5 },
        ],
        2,
        'r1',
      );
      const [rx, rz] = await app.b.state.getMany([x.id, z.id]);
      expect(res.done[0]).toEqual(rx);
      expect(res.done[1]).toEqual({
        ...rz,
        status: 'RETRY',
        owner: null,
        attempt: 1,
        error: '{"message":"again"}',
      });
      // The RETRY was routed in the same step and claimed again at once: attempt 2.
      expect(res.started.map((r) => [r.id, r.status, r.attempt])).toEqual(
        expect.arrayContaining([[z.id, 'RUNNING', 2]]),
      );
    } finally {
      await other.close();
    }
    const all = [...ids];
    expect(await indexed()).toEqual(await stored(all));
    expect(await app.b.state.countByStatus()).toMatchObject({ SUCCESS: 1, FAILED: 1 });
  });

  it("a runner's outcomes written on their own are compact too, and let go of what they finish", async () => {
    await app.b.hot.enqueue([newInv('a', 't'), newInv('b', 't'), newInv('c', 't')], 1);
    const [x, y, z] = (await app.b.hot.claimAndStart(3, 100, 'r1')) as [
      InvocationRecord,
      InvocationRecord,
      InvocationRecord,
    ];
    const orch = app.b.orchestrator as RedisOrchestrator;
    expect(orch.started.size).toBe(3);
    const written = await app.b.orchestrator.transitionMany(
      [
        { id: x.id, to: 'SUCCESS', runnerId: 'r1', result: '1' },
        { id: y.id, to: 'PAUSED', runnerId: 'r1' },
      ],
      5,
    );
    expect(written).toEqual(await app.b.state.getMany([x.id, y.id]));
    expect(written[0]).toMatchObject({ status: 'SUCCESS', result: '1', owner: null, attempt: 1 });
    // The finished one is let go (before, it stayed until 20,000 more had started); the paused
    // one is still this runner's.
    expect(orch.started.get(x.id)).toBeUndefined();
    expect(orch.started.get(y.id)).toMatchObject({ status: 'PAUSED', owner: 'r1' });
    // A RETRY written without routing: not through finish_claim, which would route it.
    const [retry] = await app.b.orchestrator.transitionMany(
      [{ id: z.id, to: 'RETRY', runnerId: 'r1', error: '{"message":"again"}' }],
      6,
    );
    expect(retry).toMatchObject({ status: 'RETRY', owner: null });
    expect(await app.admin.zscore(`${app.P}q`, z.id)).toBeNull();
    expect(await indexed()).toEqual(await stored(['a', 'b', 'c']));
  });

  it('stores no attempt until the first start, and reads a missing one as 0', async () => {
    await app.b.hot.enqueue([newInv('a', 't')], 1);
    expect(await app.admin.hexists(`${app.P}i:a`, 'attempt')).toBe(0);
    expect((await app.b.state.get('a'))?.attempt).toBe(0);
    expect((await app.b.state.list({}))[0]?.attempt).toBe(0);
    const [started] = await app.b.hot.claimAndStart(1, 100, 'r1');
    expect(started?.attempt).toBe(1);
    expect(await app.admin.hget(`${app.P}i:a`, 'attempt')).toBe('1');
    const { done } = await app.b.hot.finishAndClaim(
      [{ id: 'a', to: 'RETRY', runnerId: 'r1', error: 'e' }],
      0,
      'r1',
    );
    expect(done[0]).toMatchObject({ status: 'RETRY', attempt: 1 });
    const [again] = await app.b.hot.claimAndStart(1, 100, 'r1');
    expect(again?.attempt).toBe(2);
  });

  it('a finish leaves the owner field in the hash, and no reader takes it for an owner', async () => {
    await app.b.hot.enqueue([newInv('a', 't'), newInv('b', 't')], 1);
    await app.b.hot.claimAndStart(2, 100, 'r1');
    const out = await app.b.hot.finishAndClaim(
      [
        { id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '1' },
        { id: 'b', to: 'RETRY', runnerId: 'r1', error: 'e' },
      ],
      0,
      'r1',
    );
    expect(out.done).toMatchObject([
      { status: 'SUCCESS', owner: null },
      { status: 'RETRY', owner: null },
    ]);
    // No HDEL: the field is still there (a finish costs one command less)...
    expect(await app.admin.hget(`${app.P}i:a`, 'owner')).toBe('r1');
    // ...and counts for nothing outside an owned status.
    // max 0: outcomes only, nothing claimed (b, routed by its RETRY, waits in the queue).
    expect(out.started).toEqual([]);
    expect((await app.b.state.getMany(['a', 'b'])).map((r) => r?.owner)).toEqual([null, null]);
    expect(await app.b.state.list({ owner: 'r1' })).toEqual([]);
    expect(await app.b.orchestrator.ownedBy('r1', [...OWNED_STATUSES])).toEqual([]);
    expect(await app.b.orchestrator.ownedByOthers([], [...OWNED_STATUSES])).toEqual([]);
    // Claimed again by another runner: that one owns it.
    const again = await app.b.hot.claimAndStart(1, 100, 'r2');
    expect(again.map((r) => [r.id, r.owner])).toEqual([['b', 'r2']]);
    expect((await app.b.state.list({ owner: 'r2' })).map((r) => r.id)).toEqual(['b']);
  });

  it('keeps one index entry per invocation through blocked and rerouted paths in one script', async () => {
    const one = { key: 'k', maxRunning: 1, reroute: true };
    await app.b.hot.enqueue(
      ['p', 'q', 'r'].map((id) => newInv(id, 't', { concurrency: one })),
      1,
    );
    // One claim of all three: one runs, two go CONCURRENCY_CONTROLLED -> REROUTED in that script.
    const started = await app.b.hot.claimAndStart(3, 100, 'r1');
    expect(started).toHaveLength(1);
    const idx = await indexed();
    expect(idx).toEqual(await stored(['p', 'q', 'r']));
    expect(Object.values(idx).sort()).toEqual(['REROUTED', 'REROUTED', 'RUNNING']);
  });

  it('writes the indexes of a claim far larger than one Lua unpack in slices', async () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `big${i}`);
    await app.b.hot.enqueue(
      ids.map((id) => newInv(id, 't')),
      1,
    );
    expect(await app.b.hot.claimAndStart(5000, 100, 'r1')).toHaveLength(5000);
    expect(await app.b.state.countByStatus()).toMatchObject({ RUNNING: 5000 });
    expect(await app.admin.zcard(`${app.P}s:REGISTERED`)).toBe(0);
  });

  it('reads and moves on records written by raw HSETs (rows are built from any field order)', async () => {
    // Written field by field outside the scripts: a RUNNING record owned by r1 and a SUCCESS one
    // without an owner field.
    const old = (id: string, status: string, owner: string | null) => [
      ...['id', id, 'task', 't', 'args', '[1]', 'status', status, 'attempt', '1'],
      ...['priority', '5', 'created', '1', 'updated', '2'],
      ...(owner ? ['owner', owner] : []),
    ];
    await app.admin.hset(`${app.P}i:old-run`, ...old('old-run', 'RUNNING', 'r1'));
    await app.admin.zadd(`${app.P}s:RUNNING`, 2, 'old-run');
    await app.admin.hset(`${app.P}i:old-done`, ...old('old-done', 'SUCCESS', null), 'result', '7');
    await app.admin.zadd(`${app.P}s:SUCCESS`, 2, 'old-done');
    expect(await app.b.state.get('old-done')).toMatchObject({
      status: 'SUCCESS',
      owner: null,
      result: '7',
    });
    const res = await app.b.hot.finishAndClaim(
      [{ id: 'old-run', to: 'SUCCESS', runnerId: 'r1', result: '8' }],
      1,
      'r1',
    );
    const now = await app.b.state.get('old-run');
    expect(res.done).toEqual([now]);
    expect(now).toMatchObject({ status: 'SUCCESS', owner: null, attempt: 1, result: '8' });
    expect((await app.b.state.getMany(['old-run', 'old-done'])).map((r) => r.status)).toEqual([
      'SUCCESS',
      'SUCCESS',
    ]);
    expect(await indexed()).toEqual({ 'old-run': 'SUCCESS', 'old-done': 'SUCCESS' });
  });

  it('hands a waiter in another process the final records from the message, as stored', async () => {
    await app.b.hot.enqueue(
      ['f1', 'f2', 'f3'].map((id) => newInv(id, 't')),
      1,
    );
    const other = await openBackends({
      backend: 'redis',
      redis: { url: REDIS_URL, prefix: app.prefix },
    });
    // Subscribed before the watch starts: its one re-read after a (re)subscription is then done.
    const warm = other.state.watchFinal(['none']);
    await warm.next(300);
    warm.close();
    const reads = vi.spyOn(other.state as RedisStateBackend, 'getFinal');
    const watch = other.state.watchFinal(['f1', 'f2', 'f3']);
    try {
      expect(await watch.next(0)).toEqual([]);
      const started = await app.b.hot.claimAndStart(3, 100, 'r1');
      const res = await app.b.hot.finishAndClaim(
        [
          { id: started[0]!.id, to: 'SUCCESS', runnerId: 'r1', result: '"ok"' },
          { id: started[1]!.id, to: 'FAILED', runnerId: 'r1', error: '{"message":"no"}' },
        ],
        0,
        'r1',
      );
      const got: InvocationRecord[] = [];
      while (got.length < 2) {
        got.push(...(await watch.next(5000)));
      }
      const byId = (rs: InvocationRecord[]) => [...rs].sort((a, c) => a.id.localeCompare(c.id));
      expect(byId(got)).toEqual(byId(await app.b.state.getMany(got.map((r) => r.id))));
      expect(byId(got)).toEqual(byId(res.done as InvocationRecord[]));
      // Only the watch's first look read the store.
      expect(reads).toHaveBeenCalledTimes(1);
      // A message of ids alone (a writer of an older version): the waiter reads the record.
      await app.admin.hset(`${app.P}i:${started[2]!.id}`, 'status', 'CANCELLED');
      await app.admin.publish(`${app.P}final`, JSON.stringify([started[2]!.id]));
      expect(await watch.next(5000)).toEqual([await app.b.state.get(started[2]!.id)]);
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      watch.close();
      await other.close();
    }
  });

  /** `b`'s final subscriber, up before a test's watch (it starts with a process's first watch). */
  async function subscribed(): Promise<RedisFinals> {
    const warm = app.b.state.watchFinal(['none']);
    await warm.next(300);
    warm.close();
    const finals = (app.b.state as unknown as { finals: RedisFinals }).finals;
    await until(() => (finals as unknown as { subscribed: boolean }).subscribed, 5000);
    return finals;
  }

  /** Cuts `b`'s subscriber connection (only it: the server is shared with other tests). */
  async function killSubscriber(): Promise<void> {
    const name = `taskapp:${app.P}sub`;
    const clients = String(await app.admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).split('\n');
    const ids = clients
      .filter((l) => l.includes(` name=${name} `))
      .map((l) => /id=(\d+)/.exec(l)![1]!);
    expect(ids).toHaveLength(1);
    await app.admin.call('CLIENT', 'KILL', 'ID', ids[0]!);
  }

  it('a result awaited right after its call, once subscribed, starts without a read', async () => {
    await subscribed();
    const reads = vi.spyOn(app.b.state as RedisStateBackend, 'getFinal');
    await app.b.hot.enqueue([newInv('e1', 't')], 1);
    const watch = app.b.state.watchFinal(['e1']);
    try {
      expect(await watch.next(0)).toEqual([]);
      await app.b.hot.claimAndStart(1, 100, 'r1');
      await app.b.hot.finishAndClaim(
        [{ id: 'e1', to: 'SUCCESS', runnerId: 'r1', result: '1' }],
        0,
        'r1',
      );
      expect((await watch.next(5000)).map((r) => [r.id, r.status])).toEqual([['e1', 'SUCCESS']]);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      watch.close();
    }
  });

  it('a result finished by another process before the watch, or while the subscriber was away, is read', async () => {
    await subscribed();
    const other = await openBackends({
      backend: 'redis',
      redis: { url: REDIS_URL, prefix: app.prefix },
    });
    try {
      // Finished elsewhere before anyone here watched it: the message says so, or the watch reads it.
      await app.b.hot.enqueue([newInv('e2', 't')], 1);
      await other.hot.claimAndStart(1, 100, 'r2');
      await other.hot.finishAndClaim([{ id: 'e2', to: 'SUCCESS', runnerId: 'r2' }], 0, 'r2');
      // Its message heard here first (no watch yet): the watch must then read it.
      await new Promise((r) => setTimeout(r, 200));
      const first = app.b.state.watchFinal(['e2']);
      expect((await first.next(5000)).map((r) => [r.id, r.status])).toEqual([['e2', 'SUCCESS']]);
      first.close();
      // Enqueued while subscribed, finished while the subscriber is cut off (its message lost):
      // after the subscriber is back, a watch reads it instead of waiting for a message.
      await app.b.hot.enqueue([newInv('e3', 't')], 1);
      await killSubscriber();
      await other.hot.claimAndStart(1, 100, 'r2');
      await other.hot.finishAndClaim([{ id: 'e3', to: 'SUCCESS', runnerId: 'r2' }], 0, 'r2');
      await subscribed();
      const second = app.b.state.watchFinal(['e3']);
      expect((await second.next(5000)).map((r) => [r.id, r.status])).toEqual([['e3', 'SUCCESS']]);
      second.close();
    } finally {
      await other.close();
    }
  });

  it('hands over records past the size one message carries by a read', async () => {
    // 12 records of ~7 KB: more than one message carries (64 KB); the rest are read.
    const ids = Array.from({ length: 12 }, (_, i) => `big-${i}`);
    await app.b.hot.enqueue(
      ids.map((id) => newInv(id, 't', { args: JSON.stringify('x'.repeat(7000)) })),
      1,
    );
    const other = await openBackends({
      backend: 'redis',
      redis: { url: REDIS_URL, prefix: app.prefix },
    });
    const watch = other.state.watchFinal(ids);
    try {
      const started = await app.b.hot.claimAndStart(12, 100, 'r1');
      await app.b.hot.finishAndClaim(
        started.map((r) => ({ id: r.id, to: 'SUCCESS' as const, runnerId: 'r1', result: '1' })),
        0,
        'r1',
      );
      const got: InvocationRecord[] = [];
      while (got.length < ids.length) {
        got.push(...(await watch.next(5000)));
      }
      const byId = (rs: InvocationRecord[]) => [...rs].sort((a, c) => a.id.localeCompare(c.id));
      expect(byId(got)).toEqual(byId(await app.b.state.getMany(ids)));
    } finally {
      watch.close();
      await other.close();
    }
  });

  it('reads the same state machine in Lua as status.ts (the prelude sets, looked up in Redis)', async () => {
    const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => `${from}>${to}`));
    const lua = `${statusPrelude()}
      local out = {}
      for _, s in ipairs(STATUSES) do
        for _, t in ipairs(STATUSES) do
          if TRANSITIONS[s] and TRANSITIONS[s][t] then out[#out + 1] = s .. '>' .. t end
        end
        for name, set in pairs({ OWNED = OWNED, FINAL = FINAL, QUEUED = QUEUED, ACTIVE = ACTIVE,
          RECOVERY = RECOVERY, REPEATABLE = REPEATABLE, ACQUIRABLE = ACQUIRABLE }) do
          if set[s] then out[#out + 1] = name .. ':' .. s end
        end
      end
      if FINAL[false] or TRANSITIONS['NOPE'] or FINAL['NOPE'] then out[#out + 1] = 'unknown' end
      return out`;
    const got = ((await app.admin.eval(lua, 0)) as string[]).sort();
    const sets = {
      OWNED_STATUSES,
      FINAL_STATUSES,
      QUEUED_STATUSES,
      ACTIVE_STATUSES,
      RECOVERY_STATUSES,
      REPEATABLE_STATUSES,
      ACQUIRABLE,
    };
    const want = [
      ...pairs.filter((p) => {
        const [from, to] = p.split('>') as [Status, Status];
        return TRANSITIONS[from].includes(to);
      }),
      ...Object.entries(sets).flatMap(([name, set]) =>
        [...set].map((s) => `${name.replace('_STATUSES', '')}:${s}`),
      ),
    ].sort();
    expect(got).toEqual(want);
  });
});
