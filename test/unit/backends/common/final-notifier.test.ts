import { describe, expect, it } from 'vitest';
import { FinalNotifier } from '../../../../src/backends/common/final-notifier.js';
import type { InvocationRecord } from '../../../../src/core/records.js';

const rec = (id: string): InvocationRecord => ({
  id,
  taskId: 't',
  args: '{}',
  status: 'SUCCESS',
  owner: null,
  attempt: 1,
  priority: 5,
  parentId: null,
  workflowId: null,
  result: '1',
  error: null,
  concurrency: null,
  createdAt: 1,
  updatedAt: 2,
});

describe('FinalNotifier', () => {
  it('says which ids are watched, until they are delivered or the watch closes', async () => {
    const n = new FinalNotifier();
    const w = n.watch(['a', 'b'], { fetchFinal: async () => [] });
    expect(n.watched(['a', 'x', 'b'])).toEqual(['a', 'b']);
    n.publish([rec('a')]);
    expect((await w.next(10)).map((r) => r.id)).toEqual(['a']);
    expect(n.watched(['a', 'b'])).toEqual(['b']);
    w.close();
    expect(n.watched(['b'])).toEqual([]);
  });

  it('resync makes a waiting watch re-read the store at once', async () => {
    const n = new FinalNotifier();
    let stored: InvocationRecord[] = [];
    const w = n.watch(['a'], { fetchFinal: async () => stored });
    const waiting = w.next(10_000);
    await new Promise((r) => setTimeout(r, 20));
    stored = [rec('a')];
    n.resync();
    expect((await waiting).map((r) => r.id)).toEqual(['a']);
    w.close();
  });

  it('reads pollMs before each wait, so polling can start while a watch waits', async () => {
    const n = new FinalNotifier();
    let stored: InvocationRecord[] = [];
    let pollMs: number | undefined = undefined;
    const w = n.watch(['a'], {
      fetchFinal: async () => stored,
      get pollMs() {
        return pollMs;
      },
    });
    const waiting = w.next(10_000);
    await new Promise((r) => setTimeout(r, 20));
    pollMs = 10;
    n.resync(); // the switch to polling comes with a resync (the wake-up channel was lost)
    stored = [];
    await new Promise((r) => setTimeout(r, 30));
    stored = [rec('a')];
    expect((await waiting).map((r) => r.id)).toEqual(['a']);
    w.close();
  });
});
