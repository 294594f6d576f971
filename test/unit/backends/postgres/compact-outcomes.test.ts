/**
 * A runner's outcomes for invocations its hot path started are written by CHECKED_COMPACT, which
 * returns only the owner and attempt it decided; the records handed back are built from the
 * started ones (StartedRecords) and must equal what the database now holds. Outcomes for
 * invocations started elsewhere get whole records back. A lone outcome, written by the
 * orchestrator, is compact too, and lets go of its started record.
 */
import { afterAll, expect, it, vi } from 'vitest';
import { StartedRecords } from '../../../../src/backends/common/started-records.js';
import type { InvocationRecord } from '../../../../src/core/records.js';
import { newInv } from '../../../compliance/suites/state.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, pgScope } from '../../../helpers/postgres.js';
import { openParts } from './parts.js';

const scope = pgScope('compact');

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres compact outcomes', () => {
  afterAll(() => scope.cleanup());

  it('records built from the started ones equal the stored ones, here and after a start elsewhere', async () => {
    const schema = scope.next();
    const here = await openParts(schema);
    const there = await openParts(schema);
    const allOf = vi.spyOn(StartedRecords.prototype, 'allOf');
    try {
      const now = Date.now();
      await here.hot.enqueue(
        ['a', 'b', 'c', 'd'].map((id) => newInv(id, 'add')),
        now,
      );
      const started = await here.hot.claimAndStart(3, 0, 'r1');
      expect(started.map((r) => r.id)).toEqual(['a', 'b', 'c']);
      // 'd' is still queued, so the outcomes go with a claim: the fused one-round-trip path.
      const out = await here.hot.finishAndClaim(
        [
          { id: 'a', to: 'SUCCESS', runnerId: 'r1', result: '42' },
          { id: 'b', to: 'FAILED', runnerId: 'r1', error: 'boom' },
          { id: 'c', to: 'PAUSED', runnerId: 'r1' },
        ],
        1,
        'r1',
      );
      expect(allOf.mock.results.at(-1)?.value).toHaveLength(3);
      expect(out.started.map((r) => r.id)).toEqual(['d']);
      const stored = async (id: string) => (await here.state.get(id))!;
      for (const rec of out.done as InvocationRecord[]) {
        expect(rec).toEqual(await stored(rec.id));
      }
      expect((out.done as InvocationRecord[]).map((r) => [r.status, r.owner])).toEqual([
        ['SUCCESS', null],
        ['FAILED', null],
        ['PAUSED', 'r1'],
      ]);

      // Another process never started 'c' or 'd': it gets whole records, equal too.
      const elsewhere = await there.hot.finishAndClaim(
        [
          { id: 'c', to: 'RESUMED', runnerId: 'r1' },
          { id: 'd', to: 'SUCCESS', runnerId: 'r1', result: '7' },
        ],
        1,
        'r1',
      );
      expect(allOf.mock.results.at(-1)?.value).toBeUndefined();
      for (const rec of elsewhere.done as InvocationRecord[]) {
        expect(rec).toEqual(await stored(rec.id));
      }
      expect((elsewhere.done as InvocationRecord[]).map((r) => r.status)).toEqual([
        'RESUMED',
        'SUCCESS',
      ]);

      // A lone outcome goes through the orchestrator: compact too, and the record is let go.
      await here.hot.enqueue([newInv('e', 'add')], Date.now());
      expect((await here.hot.claimAndStart(1, 0, 'r1')).map((r) => r.id)).toEqual(['e']);
      const [lone] = await here.orch.transitionMany(
        [{ id: 'e', to: 'SUCCESS', runnerId: 'r1', result: '5' }],
        Date.now(),
      );
      expect(allOf.mock.results.at(-1)?.value).toHaveLength(1);
      expect(lone).toEqual(await stored('e'));
      expect(here.orch.started.get('e')).toBeUndefined();
    } finally {
      allOf.mockRestore();
      await there.close();
      await here.close();
    }
  });
});
