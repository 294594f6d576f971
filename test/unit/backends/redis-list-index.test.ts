/**
 * Redis keeps no index of all invocations (lua/lib.lua, index_new): a new one goes into its task's
 * t:<task> set and its task's name into `tasks`, and a list without a filter merges those sets
 * newest first (lua/list.lua). Invocations stored by an earlier version, listed in `all`, still
 * list, once each.
 */
import { expect, it } from 'vitest';
import { newInv } from '../../../src/testing/suites/state.js';
import { eachRedisApp } from '../../helpers/redis-app.js';
import { describeWithService } from '../../helpers/services.js';

await describeWithService('redis', '127.0.0.1', 6379, 'redis list without an all index', () => {
  const app = eachRedisApp('lidx');

  const ids = async (filter: Parameters<typeof app.b.state.list>[0] = {}) =>
    (await app.b.state.list(filter)).map((r) => r.id);

  it('writes no all entry and lists every task newest first, with limit, offset and a time range', async () => {
    // Two tasks, interleaved in time; two invocations share a time (then the id orders, descending).
    await app.b.hot.enqueue([newInv('a1', 'ta'), newInv('b1', 'tb')], 1000);
    await app.b.hot.enqueue([newInv('a2', 'ta')], 2000);
    await app.b.state.insert([newInv('b2', 'tb')], 3000);
    expect(await app.admin.exists(`${app.P}all`)).toBe(0);
    expect((await app.admin.smembers(`${app.P}tasks`)).sort()).toEqual(['ta', 'tb']);
    expect(await ids()).toEqual(['b2', 'a2', 'b1', 'a1']);
    expect(await ids({ limit: 2 })).toEqual(['b2', 'a2']);
    expect(await ids({ limit: 2, offset: 1 })).toEqual(['a2', 'b1']);
    expect(await ids({ createdAfter: 1500, createdBefore: 3000 })).toEqual(['a2']);
    expect(await ids({ taskId: 'tb' })).toEqual(['b2', 'b1']);
    await app.b.hot.claimAndStart(1, 100, 'r1');
    expect(await ids({ owner: 'r1' })).toHaveLength(1);
  });

  it('lists more than a page of each task in order', async () => {
    const made: string[] = [];
    for (let k = 0; k < 450; k++) {
      const id = `i${String(k).padStart(4, '0')}`;
      made.push(id);
      await app.b.state.insert([newInv(id, k % 3 === 0 ? 'ta' : 'tb')], 1000 + k);
    }
    const listed = await ids();
    expect(listed).toEqual([...made].reverse());
    expect(await ids({ limit: 10, offset: 300 })).toEqual([...made].reverse().slice(300, 310));
  });

  it('still lists invocations an earlier version indexed in all, each once', async () => {
    await app.b.state.insert([newInv('new', 'ta')], 3000);
    // As an earlier version stored them: in all and in t:<task>, with no `tasks` entry for tc.
    await app.b.state.insert([newInv('old1', 'tc'), newInv('old2', 'ta')], 2000);
    await app.admin.srem(`${app.P}tasks`, 'tc');
    await app.admin.zadd(`${app.P}all`, 2000, 'old1', 2000, 'old2');
    expect(await ids()).toEqual(['new', 'old2', 'old1']);
    expect(await ids({ limit: 1, offset: 2 })).toEqual(['old1']);
  });
});
