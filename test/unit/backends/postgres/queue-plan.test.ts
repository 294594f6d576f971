/**
 * Claims find the rows of earlier claims by token (claimed_by): with thousands of rows queued, the
 * statements that do so must not read the whole queue (each claim would then cost the queue's depth).
 */
import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { CLAIM, claimValues } from '../../../../src/backends/postgres/broker.js';
import { CLAIM_START, claimStartValues } from '../../../../src/backends/postgres/hot-path.js';
import { migrate } from '../../../../src/backends/postgres/migrate.js';
import {
  ACQUIRABLE_LIST,
  LOCK_ACQUIRE,
  LOCK_CLAIMED,
} from '../../../../src/backends/postgres/orchestrator.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope, withSchemaClient } from '../../../helpers/postgres.js';

const scope = pgScope('qplan');

/** Runs `fn` on a client of a fresh schema at the newest version. */
async function inNewSchema(fn: (c: pg.Client) => Promise<void>): Promise<void> {
  const schema = scope.next();
  await migrate({ url: PG_URL, schema });
  await withSchemaClient(schema, fn);
}

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres queue plans', () => {
  afterAll(() => scope.cleanup());

  it('finishes earlier claims by token without reading the whole queue', async () => {
    await inNewSchema(async (c) => {
      await c.query(
        `INSERT INTO queue (inv_id, priority, claimed_by, claimed_at)
        SELECT 'i' || g, 5, CASE WHEN g <= 50 THEN 'earlier' END, CASE WHEN g <= 50 THEN 1 END
        FROM generate_series(1, 20000) g`,
      );
      await c.query('ANALYZE queue');
      const now = Date.now();
      const values = claimValues({
        now,
        max: 50,
        token: 'next',
        done: ['earlier'],
        back: [],
        backAt: [],
      });
      const plan = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${CLAIM.text}`, values);
      const nodes = scans(plan.rows[0]['QUERY PLAN'][0].Plan);
      // The rows of claim 'earlier' (50 of 20,000) are deleted by an index look-up.
      const deleting = nodes.filter((n) => n.executed && n.relation === 'queue');
      expect(deleting.some((n) => n.type === 'Seq Scan')).toBe(false);
      expect(
        (await c.query(`SELECT count(*)::int AS n FROM queue WHERE claimed_by = 'earlier'`)).rows[0]
          .n,
      ).toBe(0);
    });
  });
  it('reads when to look again by index when a claim drains the queue', async () => {
    await inNewSchema(async (c) => {
      // 20,000 rows claimed by other runners (their leases live): nothing to take. A drained claim
      // asks for the earliest claim (min(claimed_at)); read by scanning the queue it cost every idle
      // runner's claim the queue's size (291 buffers where nothing was found, 4 runners in the bench).
      const now = Date.now();
      await c.query(
        `INSERT INTO queue (inv_id, priority, claimed_by, claimed_at)
        SELECT 'i' || g, 5, 'other' || (g % 4), $1::bigint - g FROM generate_series(1, 20000) g`,
        [now],
      );
      await c.query('ANALYZE queue');
      await c.query('BEGIN');
      await c.query('SET LOCAL plan_cache_mode = force_generic_plan');
      const values = claimStartValues(
        { now, max: 50, token: 'tok', done: [] },
        'runner',
        null,
        'no_channel',
      );
      const plan = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${CLAIM_START.text}`, values);
      const got = await c.query(CLAIM_START.text, values);
      await c.query('ROLLBACK');
      expect(got.rows).toHaveLength(1);
      expect(got.rows[0].drained).toBe(true);
      expect(Number(got.rows[0].next)).toBeGreaterThan(now);
      // When to look again (the InitPlans after the claim's CTEs) is read by index; how CTE c
      // takes rows is the planner's choice for this queue and not what this test is about.
      const lookAgain = scans(plan.rows[0]['QUERY PLAN'][0].Plan).filter(
        (n) => n.executed && n.relation === 'queue' && n.within?.startsWith('InitPlan'),
      );
      expect(lookAgain.length).toBeGreaterThanOrEqual(2);
      expect(lookAgain.filter((n) => n.type === 'Seq Scan')).toEqual([]);
    });
  });
  it('starts and locks claimed invocations by primary key when finished ones far outnumber waiting ones', async () => {
    await inNewSchema(async (c) => {
      // 50,000 finished, 5,000 waiting (queued, the first 50 claimed by token 'mine').
      await c.query(
        `INSERT INTO invocations (id, task_id, args, status, created_at, updated_at)
        SELECT 'i' || g, 't', '[]', CASE WHEN g <= 5000 THEN 'REGISTERED' ELSE 'SUCCESS' END, g, g
        FROM generate_series(1, 55000) g`,
      );
      await c.query(
        `INSERT INTO queue (inv_id, priority, claimed_by, claimed_at)
        SELECT 'i' || g, 5, CASE WHEN g <= 50 THEN 'mine' END, CASE WHEN g <= 50 THEN 1 END
        FROM generate_series(1, 5000) g`,
      );
      // What autovacuum would have seen earlier, when nearly all were finished.
      await c.query(`UPDATE invocations SET status = 'SUCCESS' WHERE id LIKE 'i%'`);
      await c.query('ANALYZE invocations');
      await c.query(`UPDATE invocations SET status = 'REGISTERED' WHERE created_at <= 5000`);
      await c.query('ANALYZE queue');
      const claimed = Array.from({ length: 50 }, (_, i) => `i${i + 1}`);
      const now = Date.now();
      const statements: Array<{ stmt: { name: string; text: string }; values: unknown[] }> = [
        {
          // Takes the 50 oldest queue rows (the claim lease of 'mine' ran out long ago).
          stmt: CLAIM_START,
          values: claimStartValues(
            { now, max: 50, token: 'tok', done: [] },
            'runner',
            null,
            'no_channel',
          ),
        },
        { stmt: LOCK_CLAIMED, values: ['mine', ACQUIRABLE_LIST] },
        { stmt: LOCK_ACQUIRE, values: [claimed, ACQUIRABLE_LIST, 'runner'] },
      ];
      for (const { stmt, values } of statements) {
        await c.query('BEGIN');
        const plan = await c.query<Record<string, any>>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${stmt.text}`,
          values,
        );
        const got = await c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM invocations WHERE id = ANY($1) AND status IN ('REGISTERED', 'RUNNING')`,
          [claimed],
        );
        await c.query('ROLLBACK');
        expect(got.rows[0]!.n, stmt.name).toBe(50);
        const onInvocations = scans(plan.rows[0]!['QUERY PLAN'][0].Plan).filter(
          (n) => n.executed && n.relation === 'invocations',
        );
        expect(
          onInvocations.map((n) => n.index),
          stmt.name,
        ).toEqual(['invocations_pkey']);
      }
    });
  });
});

interface Scan {
  type: string;
  relation?: string;
  index?: string;
  executed: boolean;
  /** The nearest enclosing sub-plan ("CTE c", "InitPlan 19 (returns $25)"), if any. */
  within?: string;
}

/** Every scan node of an EXPLAIN (ANALYZE, FORMAT JSON) plan, and whether it ran. */
function scans(node: Record<string, any>, within?: string): Scan[] {
  const here: string | undefined = node['Subplan Name'] ?? within;
  const own: Scan[] = /Scan/.test(node['Node Type'])
    ? [
        {
          type: node['Node Type'],
          relation: node['Relation Name'],
          index: node['Index Name'],
          executed: (node['Actual Loops'] ?? 0) > 0,
          within: here,
        },
      ]
    : [];
  return [
    ...own,
    ...((node.Plans ?? []) as Array<Record<string, any>>).flatMap((n) => scans(n, here)),
  ];
}
