/**
 * A NOTIFY of finals can reach this process's LISTEN connection before the answer of the local
 * write that made them. It must not re-read what that write is about to publish (the bench re-read
 * a third of its finals), and must still deliver what that write did not publish (finals written
 * by another process while a local write was in flight).
 */
import { afterAll, expect, it } from 'vitest';
import type { PgDb } from '../../../../src/backends/postgres/db.js';
import { newInv } from '../../../compliance/suites/state.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, pgScope } from '../../../helpers/postgres.js';
import { openParts } from './parts.js';

const scope = pgScope('notfin');

/** Resolves once a NOTIFY naming `id` reached `db` (it asks its notifier who watches `id`). */
function notifiedOf(db: PgDb, id: string): Promise<void> {
  return new Promise((resolve) => {
    const watched = db.finals.watched.bind(db.finals);
    db.finals.watched = (ids) => {
      const list = [...ids];
      if (list.includes(id)) {
        resolve();
      }
      return watched(list);
    };
  });
}

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres NOTIFY of finals', () => {
  afterAll(() => scope.cleanup());

  it('a final written here reaches a watch here without a re-read', async () => {
    const p = await openParts(scope.next());
    try {
      await p.hot.enqueue([newInv('a', 'add')], Date.now());
      const watch = p.state.watchFinal(['a']);
      expect(await watch.next(0)).toEqual([]);
      const notified = notifiedOf(p.db, 'a');
      const started = await p.hot.claimAndStart(1, 0, 'r1');
      expect(started.map((r) => r.id)).toEqual(['a']);
      // The race under load, made certain: the finish's answer comes back after its NOTIFY.
      const transaction = p.db.transaction.bind(p.db);
      p.db.transaction = async (...args) => {
        const out = await transaction(...args);
        await notified;
        return out;
      };
      await p.hot.finishAndClaim(
        [{ id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '2' }],
        0,
        'r1',
      );
      const got = await watch.next(10_000);
      expect(got.map((r) => [r.id, r.status, r.result])).toEqual([['a', 'SUCCESS', '2']]);
      await notified;
      await new Promise((r) => setImmediate(r));
      watch.close();
      // No read at all: the watch opened on an invocation this process had just stored (no final
      // heard of it since), and nothing is re-read on the NOTIFY.
      expect(p.fetched).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('a final written elsewhere while a local write is in flight still reaches a watch here', async () => {
    const schema = scope.next();
    const here = await openParts(schema);
    const there = await openParts(schema);
    try {
      await here.hot.enqueue([newInv('b', 'add')], Date.now());
      const watch = here.state.watchFinal(['b']);
      expect(await watch.next(0)).toEqual([]);
      // A local write that publishes nothing stays in flight until the NOTIFY has come in.
      const notifiedHere = notifiedOf(here.db, 'b');
      const local = here.db.publishing(() => notifiedHere);
      const started = await there.hot.claimAndStart(1, 0, 'r2');
      expect(started.map((r) => r.id)).toEqual(['b']);
      await there.hot.finishAndClaim(
        [{ id: 'b', to: 'SUCCESS', runnerId: 'r2', result: '3' }],
        0,
        'r2',
      );
      await local;
      const got = await watch.next(10_000);
      expect(got.map((r) => [r.id, r.status, r.result])).toEqual([['b', 'SUCCESS', '3']]);
      watch.close();
    } finally {
      await there.close();
      await here.close();
    }
  });
});
