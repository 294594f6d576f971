/**
 * The statements of one call's round trip (enqueue, claim, finish). A claim that takes every ready
 * invocation leaves the queue known empty, so the outcomes are written on their own, without a
 * second claim that can find nothing; the NOTIFY of this process's own enqueue does not wake its
 * claimers a second time (they woke at the commit), while another process's still does.
 */
import { afterAll, expect, it } from 'vitest';
import { PgBroker } from '../../../../src/backends/postgres/broker.js';
import { PgDb } from '../../../../src/backends/postgres/db.js';
import { pgHotPath } from '../../../../src/backends/postgres/hot-path.js';
import { PgOrchestrator } from '../../../../src/backends/postgres/orchestrator.js';
import {
  ENQUEUE,
  ENQUEUE_RETRY,
  PgStateBackend,
  insertValues,
} from '../../../../src/backends/postgres/state.js';
import { createLogger } from '../../../../src/core/logger.js';
import { newInv } from '../../../compliance/suites/state.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../../../helpers/postgres.js';

const scope = pgScope('rtrip');

/** One process's postgres backend parts on `schema`; `transactions` counts PgDb.transaction calls. */
async function open(schema: string) {
  const db = await PgDb.open({
    url: PG_URL,
    schema,
    poolSize: 4,
    applicationName: 'taskapp round-trip test',
    log: createLogger('error'),
  });
  const counts = { transactions: 0, statements: 0, fetches: 0 };
  const transaction = db.transaction.bind(db);
  db.transaction = (...args) => {
    counts.transactions++;
    return transaction(...args);
  };
  const once = db.once.bind(db);
  db.once = (...args) => {
    counts.statements++;
    return once(...args);
  };
  const fetchFinal = db.fetchFinal.bind(db);
  db.fetchFinal = (ids) => {
    counts.fetches++;
    return fetchFinal(ids);
  };
  const broker = new PgBroker(db);
  const state = new PgStateBackend(db);
  const hot = pgHotPath(db, state, broker, new PgOrchestrator(db));
  return {
    db,
    broker,
    state,
    hot,
    counts,
    close: async () => {
      await broker.close();
      await db.close();
    },
  };
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(cond(), what).toBe(true);
};

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres round trip of one call', () => {
  afterAll(() => scope.cleanup());

  it('a claim that takes all ready work leaves the queue known empty: the finish is one statement, no claim', async () => {
    const p = await open(scope.next());
    try {
      await p.hot.enqueue([newInv('a', 'add')], Date.now());
      const started = await p.hot.claimAndStart(50, 0, 'r1');
      expect(started.map((r) => r.id)).toEqual(['a']);
      // Its own enqueue's NOTIFY comes back meanwhile; it must not make the queue look busy again.
      await new Promise((r) => setTimeout(r, 300));
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
    } finally {
      await p.close();
    }
  });

  it("its own enqueue's NOTIFY wakes this process once (at the commit); another process's wakes it", async () => {
    const schema = scope.next();
    const here = await open(schema);
    const there = await open(schema);
    try {
      const hereGen = here.db.queueGen;
      const thereGen = there.db.queueGen;
      await here.hot.enqueue([newInv('b', 'add')], Date.now());
      expect(here.db.queueGen).toBe(hereGen + 1);
      await until(() => there.db.queueGen > thereGen, 'the other process heard the NOTIFY');
      // Both LISTEN connections hear each NOTIFY; give this one time to have heard it too.
      await new Promise((r) => setTimeout(r, 300));
      expect(here.db.queueGen).toBe(hereGen + 1);

      const before = here.db.queueGen;
      await there.hot.enqueue([newInv('c', 'add')], Date.now());
      await until(() => here.db.queueGen > before, "this process heard the other's NOTIFY");
    } finally {
      await there.close();
      await here.close();
    }
  });

  it('a claimer waiting after a drained claim wakes for work enqueued by another process', async () => {
    const schema = scope.next();
    const here = await open(schema);
    const there = await open(schema);
    try {
      await here.hot.enqueue([newInv('d', 'add')], Date.now());
      expect((await here.hot.claimAndStart(50, 0, 'r1')).map((r) => r.id)).toEqual(['d']);
      const waiting = here.hot.claimAndStart(50, 20_000, 'r1');
      await new Promise((r) => setTimeout(r, 200));
      await there.hot.enqueue([newInv('e', 'add')], Date.now());
      // Without the wake-up it would wait its 20 s out and return nothing (no polling while
      // the LISTEN connection is up).
      expect((await waiting).map((r) => r.id)).toEqual(['e']);
    } finally {
      await there.close();
      await here.close();
    }
  });

  it('a result awaited right after its call starts without a read, and gets the final written here', async () => {
    const p = await open(scope.next());
    try {
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
      expect(p.counts.fetches).toBe(0);
    } finally {
      await p.close();
    }
  });

  it('a result awaited after another process already finished the call reads it', async () => {
    const schema = scope.next();
    const here = await open(schema);
    const there = await open(schema);
    try {
      await here.hot.enqueue([newInv('g', 'add')], Date.now());
      const heard = new Promise<void>((resolve) => {
        const orig = here.db.finals.heard.bind(here.db.finals);
        here.db.finals.heard = (ids) => {
          orig(ids);
          if ([...ids].includes('g')) {
            resolve();
          }
        };
      });
      await there.hot.claimAndStart(1, 0, 'r2');
      await there.hot.finishAndClaim([{ id: 'g', to: 'SUCCESS', runnerId: 'r2' }], 0, 'r2');
      // Its final was announced before anyone here watched it: the watch must read it.
      await heard;
      const watch = here.state.watchFinal(['g']);
      const got = await watch.next(0);
      watch.close();
      expect(got.map((r) => [r.id, r.status])).toEqual([['g', 'SUCCESS']]);
      expect(here.counts.fetches).toBe(1);
    } finally {
      await there.close();
      await here.close();
    }
  });

  it('an enqueue without registration keys is one statement; after a lost answer its retry stores and queues nothing twice', async () => {
    const p = await open(scope.next());
    try {
      const invs = [newInv('h1', 'add'), newInv('h2', 'add', { priority: 9 })];
      expect(await p.hot.enqueue(invs, Date.now())).toEqual(['h1', 'h2']);
      expect(p.counts).toMatchObject({ transactions: 0, statements: 1 });
      // The retry of a try that did commit (its answer was lost): nothing is stored or queued again.
      const values = [...insertValues(invs, Date.now()), [5, 9], p.db.channel];
      await p.db.once(ENQUEUE_RETRY, values);
      await expect(p.db.once(ENQUEUE, values)).rejects.toThrow(/duplicate key/);
      expect(await p.broker.count()).toBe(2);
      const claimed = await p.hot.claimAndStart(50, 0, 'r1');
      expect(claimed.map((r) => r.id)).toEqual(['h2', 'h1']);
      expect(await p.broker.count()).toBe(0);
      // A retry of a try that did not commit stores and queues them.
      const late = [newInv('h3', 'add')];
      await p.db.once(ENQUEUE_RETRY, [...insertValues(late, Date.now()), [5], p.db.channel]);
      p.db.queueChanged(); // as enqueue does after it (this process ignores its own NOTIFY)
      expect((await p.hot.claimAndStart(50, 0, 'r1')).map((r) => r.id)).toEqual(['h3']);
    } finally {
      await p.close();
    }
  });
});
