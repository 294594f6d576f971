/**
 * The statements of one call's round trip (enqueue, claim, finish). A claim that takes every ready
 * invocation leaves the queue known empty, so the outcomes are written on their own, without a
 * second claim that can find nothing; the NOTIFY of this process's own enqueue does not wake its
 * claimers a second time (they woke at the commit), while another process's still does; a result
 * awaited right after its call is not read back; the enqueue is one statement.
 */
import { afterAll, expect, it } from 'vitest';
import { ENQUEUE, insertValues } from '../../../../src/backends/postgres/state.js';
import { newInv } from '../../../compliance/suites/state.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, pgScope } from '../../../helpers/postgres.js';
import { heardAllSoFar, openParts, type PgParts } from './parts.js';

const scope = pgScope('rtrip');

/** `fn` with one process's parts on a fresh schema. */
async function withOne(fn: (p: PgParts) => Promise<void>): Promise<void> {
  const p = await openParts(scope.next());
  try {
    await fn(p);
  } finally {
    await p.close();
  }
}

/** `fn` with two processes' parts on one fresh schema. */
async function withTwo(fn: (here: PgParts, there: PgParts) => Promise<void>): Promise<void> {
  const schema = scope.next();
  const here = await openParts(schema);
  const there = await openParts(schema);
  try {
    await fn(here, there);
  } finally {
    await there.close();
    await here.close();
  }
}

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres round trip of one call', () => {
  afterAll(() => scope.cleanup());

  it('a claim that takes all ready work leaves the queue known empty: the finish is one statement, no claim', () =>
    withOne(async (p) => {
      await p.hot.enqueue([newInv('a', 'add')], Date.now());
      const started = await p.hot.claimAndStart(50, 0, 'r1');
      expect(started.map((r) => r.id)).toEqual(['a']);
      // Its own enqueue's NOTIFY has come back: it must not make the queue look busy again.
      await heardAllSoFar(p.db);
      expect(p.broker.mayHaveWork(Date.now())).toBe(false);
      p.counts.transactions = 0;
      const out = await p.hot.finishAndClaim(
        [{ id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '2' }],
        50,
        'r1',
      );
      expect(out.started).toEqual([]);
      expect(out.done.map((r) => (r instanceof Error ? r.message : [r.id, r.status]))).toEqual([
        ['a', 'SUCCESS'],
      ]);
      expect(p.counts.transactions).toBe(0);
      expect((await p.state.get('a'))?.status).toBe('SUCCESS');
    }));

  it("its own enqueue's NOTIFY wakes this process once (at the commit); another process's wakes it", () =>
    withTwo(async (here, there) => {
      const hereGen = here.db.queueGen;
      const thereGen = there.db.queueGen;
      await here.hot.enqueue([newInv('b', 'add')], Date.now());
      expect(here.db.queueGen).toBe(hereGen + 1);
      await heardAllSoFar(here.db);
      await heardAllSoFar(there.db);
      expect(here.db.queueGen).toBe(hereGen + 1);
      expect(there.db.queueGen).toBeGreaterThan(thereGen);

      const before = here.db.queueGen;
      await there.hot.enqueue([newInv('c', 'add')], Date.now());
      await heardAllSoFar(here.db);
      expect(here.db.queueGen).toBeGreaterThan(before);
    }));

  it('a claimer waiting after a drained claim wakes for work enqueued by another process', () =>
    withTwo(async (here, there) => {
      await here.hot.enqueue([newInv('d', 'add')], Date.now());
      expect((await here.hot.claimAndStart(50, 0, 'r1')).map((r) => r.id)).toEqual(['d']);
      const asleep = new Promise<void>((resolve) => {
        const wait = here.db.queueWakeup.wait.bind(here.db.queueWakeup);
        here.db.queueWakeup.wait = (ms) => {
          resolve();
          return wait(ms);
        };
      });
      const waiting = here.hot.claimAndStart(50, 20_000, 'r1');
      await asleep;
      await there.hot.enqueue([newInv('e', 'add')], Date.now());
      // Without the wake-up it would wait its 20 s out and return nothing (no polling while
      // the LISTEN connection is up).
      expect((await waiting).map((r) => r.id)).toEqual(['e']);
    }));

  it('a result awaited right after its call starts without a read, and gets the final written here', () =>
    withOne(async (p) => {
      await p.hot.enqueue([newInv('f', 'add')], Date.now());
      const watch = p.state.watchFinal(['f']);
      expect(await watch.next(0)).toEqual([]);
      await p.hot.claimAndStart(1, 0, 'r1');
      await p.hot.finishAndClaim(
        [{ id: 'f', to: 'SUCCESS', runnerId: 'r1', result: '5' }],
        0,
        'r1',
      );
      const got = await watch.next(10_000);
      watch.close();
      expect(got.map((r) => [r.id, r.status, r.result])).toEqual([['f', 'SUCCESS', '5']]);
      expect(p.fetched).toEqual([]);
    }));

  it('a result awaited after another process already finished the call reads it', () =>
    withTwo(async (here, there) => {
      await here.hot.enqueue([newInv('g', 'add')], Date.now());
      await there.hot.claimAndStart(1, 0, 'r2');
      await there.hot.finishAndClaim([{ id: 'g', to: 'SUCCESS', runnerId: 'r2' }], 0, 'r2');
      // Its final was announced before anyone here watched it: the watch must read it.
      await heardAllSoFar(here.db);
      const watch = here.state.watchFinal(['g']);
      const got = await watch.next(0);
      watch.close();
      expect(got.map((r) => [r.id, r.status])).toEqual([['g', 'SUCCESS']]);
      expect(here.fetched).toEqual([['g']]);
    }));

  it('an enqueue without registration keys is one statement; after a lost answer its retry stores and queues nothing twice', () =>
    withOne(async (p) => {
      const invs = [newInv('h1', 'add'), newInv('h2', 'add', { priority: 9 })];
      expect(await p.hot.enqueue(invs, Date.now())).toEqual(['h1', 'h2']);
      expect(p.counts).toMatchObject({ transactions: 0, statements: 1 });
      // The retry of a try that did commit (its answer was lost): nothing is stored or queued again.
      const retry = ENQUEUE.retryAs!;
      const values = [...insertValues(invs, Date.now()), [5, 9], p.db.channel];
      await p.db.once(retry, values);
      await expect(p.db.once(ENQUEUE, values)).rejects.toThrow(/duplicate key/);
      expect(await p.broker.count()).toBe(2);
      const claimed = await p.hot.claimAndStart(50, 0, 'r1');
      expect(claimed.map((r) => r.id)).toEqual(['h2', 'h1']);
      expect(await p.broker.count()).toBe(0);
      // A retry of a try that did not commit stores and queues them.
      const late = [newInv('h3', 'add')];
      await p.db.once(retry, [...insertValues(late, Date.now()), [5], p.db.channel]);
      p.db.queueChanged(); // as PgDb.query does after it (this process ignores its own NOTIFY)
      expect((await p.hot.claimAndStart(50, 0, 'r1')).map((r) => r.id)).toEqual(['h3']);
    }));
});
