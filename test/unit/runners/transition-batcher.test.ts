import { describe, expect, it } from 'vitest';
import type { Orchestrator } from '../../../src/backends/orchestrator.js';
import type { InvocationRecord, TransitionRequest } from '../../../src/core/records.js';
import { TransitionBatcher } from '../../../src/runners/transition-batcher.js';

/** An orchestrator that records each transitionMany batch and answers every request with a record. */
function recorder(): { orch: Orchestrator; batches: string[][] } {
  const batches: string[][] = [];
  const orch = {
    async transitionMany(reqs: TransitionRequest[]) {
      batches.push(reqs.map((r) => r.id));
      return reqs.map((r) => ({ id: r.id, status: r.to }) as InvocationRecord);
    },
  } as unknown as Orchestrator;
  return { orch, batches };
}

const turn = () => new Promise((r) => setImmediate(r));
const req = (id: string): TransitionRequest => ({ id, to: 'SUCCESS', runnerId: 'r', result: '1' });

describe('TransitionBatcher', () => {
  it('writes what is submitted in one turn as one batch', async () => {
    const { orch, batches } = recorder();
    const b = new TransitionBatcher(orch);
    const done = await Promise.all([b.submit(req('a')), b.submit(req('b'))]);
    expect(done.map((r) => r.id)).toEqual(['a', 'b']);
    expect(batches).toEqual([['a', 'b']]);
  });

  it('one write at a time: changes submitted while one is out go together in the next', async () => {
    const batches: string[][] = [];
    let open!: () => void;
    const orch = {
      async transitionMany(reqs: TransitionRequest[]) {
        batches.push(reqs.map((r) => r.id));
        if (batches.length === 1) {
          await new Promise<void>((r) => (open = r));
        }
        return reqs.map((r) => ({ id: r.id, status: r.to }) as InvocationRecord);
      },
    } as unknown as Orchestrator;
    const b = new TransitionBatcher(orch);
    const first = b.submit(req('a'));
    await turn();
    const later = [b.submit(req('b'))];
    await turn();
    later.push(b.submit(req('c')));
    await turn();
    expect(batches).toEqual([['a']]);
    open();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('while held, leaves queued changes to take(); settle() answers their submitters; release flushes the rest', async () => {
    const { orch, batches } = recorder();
    const b = new TransitionBatcher(orch);
    b.hold(true);
    const pa = b.submit(req('a'));
    await turn();
    expect(batches).toEqual([]);
    const taken = b.take();
    expect(taken.map((p) => p.req.id)).toEqual(['a']);
    TransitionBatcher.settle(taken, [{ id: 'a', status: 'SUCCESS' } as InvocationRecord]);
    expect((await pa).status).toBe('SUCCESS');
    const pb = b.submit(req('b'));
    b.hold(false);
    expect((await pb).id).toBe('b');
    expect(batches).toEqual([['b']]);
  });

  it('settle() with an error per request or for the whole batch rejects the submitters', async () => {
    const { orch } = recorder();
    const b = new TransitionBatcher(orch);
    b.hold(true);
    const pa = b.submit(req('a'));
    const pb = b.submit(req('b'));
    const taken = b.take();
    TransitionBatcher.settle(taken, [
      new Error('illegal'),
      { id: 'b', status: 'SUCCESS' } as InvocationRecord,
    ]);
    await expect(pa).rejects.toThrow('illegal');
    expect((await pb).id).toBe('b');
    const pc = b.submit(req('c'));
    TransitionBatcher.settle(b.take(), new Error('backend down'));
    await expect(pc).rejects.toThrow('backend down');
  });
});
