/**
 * Concurrent claims of one broker (a runner's claim loop beside a fan-out's, the compliance
 * suite's four claimers): each try finishes the earlier claims on its own, never the same ones as
 * another try in flight. Two tries deleting the same rows locked them in different orders and one
 * failed with "deadlock detected" after deadlock_timeout (CI, 2026-12-03).
 */
import { afterAll, expect, it } from 'vitest';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, pgScope } from '../../../helpers/postgres.js';
import { openParts } from './parts.js';

const scope = pgScope('cclaim');

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres concurrent claims', () => {
  afterAll(() => scope.cleanup());

  it('two claims in flight on one broker never finish the same earlier claim', async () => {
    const p = await openParts(scope.next());
    try {
      await p.broker.route(['a', 'b', 'c'].map((id) => ({ id, priority: 5 })));
      expect(await p.broker.claim(1, 0)).toEqual(['a']);
      const seen: string[][] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tries = [0, 1].map(() =>
        p.broker.claimVia(1, 0, async (t) => {
          seen.push(t.done);
          await gate;
          return { items: [t.token] };
        }),
      );
      await new Promise((r) => setImmediate(r));
      release();
      await Promise.all(tries);
      expect(seen).toHaveLength(2);
      expect(seen.flat()).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it('a failed try leaves its earlier claims to the next one', async () => {
    const p = await openParts(scope.next());
    try {
      await p.broker.route(['a', 'b'].map((id) => ({ id, priority: 5 })));
      expect(await p.broker.claim(1, 0)).toEqual(['a']);
      const failing = p.broker.claimVia(1, 0, () => Promise.reject(new Error('boom')));
      await expect(failing).rejects.toThrow('boom');
      expect(await p.broker.claim(5, 0)).toEqual(['b']);
      // The next try deleted a's row: a is neither ready nor claimed any more.
      const rows = await p.db.rows<{ inv_id: string }>('SELECT inv_id FROM queue');
      expect(rows.map((r) => r.inv_id)).toEqual(['b']);
    } finally {
      await p.close();
    }
  });

  it('a deadlock is tried again even when the caller would give up on a lost server by now', async () => {
    const p = await openParts(scope.next());
    try {
      let calls = 0;
      const out = await p.db.retry(
        'test',
        async () => {
          if (calls++ === 0) {
            throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
          }
          return 'ok';
        },
        Date.now(),
      );
      expect([out, calls]).toEqual(['ok', 2]);
    } finally {
      await p.close();
    }
  });
});
