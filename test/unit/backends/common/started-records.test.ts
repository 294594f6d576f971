/**
 * StartedRecords keeps the records a hot path started until a write leaves them unowned; records
 * whose outcome went another way are let go oldest first once the bound is passed, so a runner
 * that finishes most work through the orchestrator keeps a bounded number, not all it ever ran.
 */
import { expect, it } from 'vitest';
import { StartedRecords } from '../../../../src/backends/common/started-records.js';
import type { InvocationRecord } from '../../../../src/core/records.js';

const rec = (id: string): InvocationRecord => ({
  id,
  taskId: 't',
  args: '{}',
  status: 'RUNNING',
  owner: 'r1',
  attempt: 1,
  priority: 5,
  parentId: null,
  workflowId: null,
  result: null,
  error: null,
  concurrency: null,
  createdAt: 1,
  updatedAt: 2,
});

it('keeps the newest records up to its bound, the oldest going first', () => {
  const kept = new StartedRecords(3);
  kept.add(['a', 'b', 'c'].map(rec));
  kept.add(['d', 'e'].map(rec));
  expect(kept.size).toBe(3);
  expect(['a', 'b', 'c', 'd', 'e'].map((id) => kept.get(id) !== undefined)).toEqual([
    false,
    false,
    true,
    true,
    true,
  ]);
  expect(kept.allOf([{ id: 'd', to: 'SUCCESS', runnerId: 'r1' }])).toHaveLength(1);
  expect(kept.allOf([{ id: 'a', to: 'SUCCESS', runnerId: 'r1' }])).toBeUndefined();
});

it('lets go of a record once a write leaves it unowned, and rebuilds it from the started one', () => {
  const kept = new StartedRecords();
  const [started] = kept.add([rec('a')]);
  const done = kept.update(
    started!,
    { id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '3' },
    { owner: null, attempt: 1, updatedAt: 9 },
  );
  expect(done).toEqual({ ...started, status: 'SUCCESS', owner: null, result: '3', updatedAt: 9 });
  expect(kept.get('a')).toBeUndefined();
  kept.add([rec('b')]);
  kept.update(
    rec('b'),
    { id: 'b', to: 'PAUSED', runnerId: 'r1' },
    { owner: 'r1', attempt: 1, updatedAt: 5 },
  );
  expect(kept.get('b')?.status).toBe('PAUSED');
});
