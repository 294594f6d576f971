import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backends } from '../../backends/registry.js';
import { waitForFinal } from '../../backends/state-backend.js';
import type { NewInvocation } from '../../core/records.js';
import { openBackends, type BackendHarness } from '../harness.js';

export const newInv = (
  id: string,
  taskId = 't',
  extra: Partial<NewInvocation> = {},
): NewInvocation => ({
  id,
  taskId,
  args: '{"x":1}',
  priority: 5,
  parentId: null,
  workflowId: null,
  ...extra,
});

export function stateSuite(h: BackendHarness): void {
  describe(`${h.name}: state backend`, () => {
    let b: Backends;
    beforeEach(async () => {
      b = await openBackends(h.freshConfig());
    });
    afterEach(async () => {
      await b.close();
    });

    it('stores invocations as REGISTERED with their history', async () => {
      await b.state.insert(
        [newInv('i1', 'add', { parentId: 'p', workflowId: 'w' }), newInv('i2')],
        1000,
      );
      const r = await b.state.get('i1');
      expect(r).toMatchObject({
        id: 'i1',
        taskId: 'add',
        args: '{"x":1}',
        status: 'REGISTERED',
        owner: null,
        attempt: 0,
        priority: 5,
        parentId: 'p',
        workflowId: 'w',
        result: null,
        error: null,
        createdAt: 1000,
        updatedAt: 1000,
      });
      expect(await b.state.history('i1')).toEqual([
        { status: 'REGISTERED', runnerId: null, at: 1000 },
      ]);
      expect(await b.state.get('nope')).toBeNull();
      expect((await b.state.getMany(['i2', 'nope', 'i1'])).map((x) => x.id).sort()).toEqual([
        'i1',
        'i2',
      ]);
    });

    it('lists by task, status, time and limit, newest first; counts by status', async () => {
      await b.state.insert([newInv('a', 'x')], 1);
      await b.state.insert([newInv('b', 'y')], 2);
      await b.state.insert([newInv('c', 'x')], 3);
      await b.orchestrator.acquire(['c'], 'r1', 4);
      expect((await b.state.list({})).map((r) => r.id)).toEqual(['c', 'b', 'a']);
      expect((await b.state.list({ taskId: 'x' })).map((r) => r.id)).toEqual(['c', 'a']);
      expect((await b.state.list({ statuses: ['PENDING'] })).map((r) => r.id)).toEqual(['c']);
      expect((await b.state.list({ owner: 'r1' })).map((r) => r.id)).toEqual(['c']);
      expect((await b.state.list({ createdAfter: 2 })).map((r) => r.id)).toEqual(['c', 'b']);
      expect((await b.state.list({ limit: 1 })).map((r) => r.id)).toEqual(['c']);
      expect(await b.state.countByStatus()).toEqual({ REGISTERED: 2, PENDING: 1 });
    });

    it('lists a time range with paging (createdBefore, offset), newest first', async () => {
      for (let i = 1; i <= 5; i++) {
        await b.state.insert([newInv(`p${i}`)], i * 10);
      }
      expect(
        (await b.state.list({ createdAfter: 20, createdBefore: 50 })).map((r) => r.id),
      ).toEqual(['p4', 'p3', 'p2']);
      expect((await b.state.list({ offset: 1, limit: 2 })).map((r) => r.id)).toEqual(['p4', 'p3']);
      expect((await b.state.list({ offset: 3 })).map((r) => r.id)).toEqual(['p2', 'p1']);
      expect(
        (await b.state.list({ createdBefore: 30, offset: 1, limit: 5 })).map((r) => r.id),
      ).toEqual(['p1']);
      await b.state.insert(
        [newInv('c1', 't', { parentId: 'p2' }), newInv('c2', 't', { parentId: 'p2' })],
        60,
      );
      expect((await b.state.list({ parentId: 'p2' })).map((r) => r.id).sort()).toEqual([
        'c1',
        'c2',
      ]);
      expect(await b.state.list({ parentId: 'p1' })).toEqual([]);
    });

    it('reads the histories of many invocations at once', async () => {
      await b.state.insert([newInv('h1'), newInv('h2')], 1);
      await b.orchestrator.acquire(['h1'], 'r1', 2);
      const all = await b.state.historyMany(['h1', 'h2', 'nope']);
      expect(Object.keys(all).sort()).toEqual(['h1', 'h2']);
      expect(all.h1).toEqual([
        { status: 'REGISTERED', runnerId: null, at: 1 },
        { status: 'PENDING', runnerId: 'r1', at: 2 },
      ]);
      expect(all.h2).toEqual([{ status: 'REGISTERED', runnerId: null, at: 1 }]);
      expect(await b.state.historyMany([])).toEqual({});
    });

    it('keeps log lines per invocation, oldest first, and purge drops them', async () => {
      await b.state.insert([newInv('l1'), newInv('l2')], 1);
      await b.state.appendLogs([
        { invocationId: 'l1', at: 5, level: 'info', message: 'first', fields: { task: 't', n: 1 } },
        { invocationId: 'l2', at: 6, level: 'warn', message: 'other', fields: {} },
      ]);
      await b.state.appendLogs([
        {
          invocationId: 'l1',
          at: 7,
          level: 'error',
          message: 'second',
          fields: { nested: { a: [1] } },
        },
      ]);
      await b.state.appendLogs([]);
      expect(await b.state.logs('l1')).toEqual([
        { invocationId: 'l1', at: 5, level: 'info', message: 'first', fields: { task: 't', n: 1 } },
        {
          invocationId: 'l1',
          at: 7,
          level: 'error',
          message: 'second',
          fields: { nested: { a: [1] } },
        },
      ]);
      expect(await b.state.logs('nope')).toEqual([]);
      await b.orchestrator.acquire(['l1'], 'r', 2);
      await b.orchestrator.transition({ id: 'l1', to: 'RUNNING', runnerId: 'r' }, 3);
      await b.orchestrator.transition({ id: 'l1', to: 'SUCCESS', runnerId: 'r', result: '1' }, 4);
      expect(await b.orchestrator.purge(100)).toBe(1);
      expect(await b.state.logs('l1')).toEqual([]);
      expect((await b.state.logs('l2')).map((l) => l.message)).toEqual(['other']);
    });

    it('watches for final invocations, already final or finishing later', async () => {
      await b.state.insert([newInv('f1'), newInv('f2')], 1);
      expect(await waitForFinal(b.state, ['f1'], 10)).toEqual([]);
      const run = async (id: string) => {
        await b.orchestrator.acquire([id], 'r', 2);
        await b.orchestrator.transition({ id, to: 'RUNNING', runnerId: 'r' }, 3);
        await b.orchestrator.transition({ id, to: 'SUCCESS', runnerId: 'r', result: '42' }, 4);
      };
      await run('f1');
      const w = b.state.watchFinal(['f1', 'f2']);
      expect((await w.next(1000)).map((r) => [r.id, r.result])).toEqual([['f1', '42']]);
      setTimeout(() => void run('f2'), 30);
      expect((await w.next(5000)).map((r) => r.id)).toEqual(['f2']);
      expect(await w.next(10)).toEqual([]);
      w.close();
    });

    it('keeps runner heartbeats and removes runners', async () => {
      const info = {
        id: 'r1',
        kind: 'thread',
        hostname: 'h',
        pid: 1,
        startedAt: 1,
        heartbeatAt: 1,
        meta: { concurrency: 2 },
      };
      await b.state.heartbeat(info);
      await b.state.heartbeat({ ...info, heartbeatAt: 5 });
      await b.state.heartbeat({ ...info, id: 'r2' });
      expect((await b.state.runners()).map((r) => [r.id, r.heartbeatAt])).toEqual([
        ['r1', 5],
        ['r2', 1],
      ]);
      expect((await b.state.runners())[0]!.meta).toEqual({ concurrency: 2 });
      await b.state.removeRunner('r1');
      expect((await b.state.runners()).map((r) => r.id)).toEqual(['r2']);
    });
  });
}
