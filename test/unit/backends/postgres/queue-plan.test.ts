/**
 * Claims find the rows of earlier claims by token (claimed_by): with thousands of rows queued, the
 * statements that do so must not read the whole queue (each claim would then cost the queue's depth).
 */
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { CLAIM, claimValues } from '../../../../src/backends/postgres/broker.js';
import { migrate } from '../../../../src/backends/postgres/migrate.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../../../helpers/postgres.js';

const scope = pgScope('qplan');

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres queue plans', () => {
  afterAll(() => scope.cleanup());

  it('finishes earlier claims by token without reading the whole queue', async () => {
    const schema = scope.next();
    await migrate({ url: PG_URL, schema });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`SET search_path TO "${schema}"`);
      await c.query(
        `INSERT INTO queue (inv_id, priority, claimed_by, claimed_at)
        SELECT 'i' || g, 5, CASE WHEN g <= 50 THEN 'earlier' END, CASE WHEN g <= 50 THEN 1 END
        FROM generate_series(1, 20000) g`,
      );
      await c.query('ANALYZE queue');
      const now = Date.now();
      const values = claimValues({ now, max: 50, token: 'next', done: ['earlier'], back: [] });
      const plan = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${CLAIM.text}`, values);
      const nodes = scans(plan.rows[0]['QUERY PLAN'][0].Plan);
      // The rows of claim 'earlier' (50 of 20,000) are deleted by an index look-up.
      const deleting = nodes.filter((n) => n.executed && n.relation === 'queue');
      expect(deleting.some((n) => n.type === 'Seq Scan')).toBe(false);
      expect(
        (await c.query(`SELECT count(*)::int AS n FROM queue WHERE claimed_by = 'earlier'`)).rows[0]
          .n,
      ).toBe(0);
    } finally {
      await c.end();
    }
  });
});

interface Scan {
  type: string;
  relation?: string;
  executed: boolean;
}

/** Every scan node of an EXPLAIN (ANALYZE, FORMAT JSON) plan, and whether it ran. */
function scans(node: Record<string, any>): Scan[] {
  const own: Scan[] = /Scan/.test(node['Node Type'])
    ? [
        {
          type: node['Node Type'],
          relation: node['Relation Name'],
          executed: (node['Actual Loops'] ?? 0) > 0,
        },
      ]
    : [];
  return [...own, ...((node.Plans ?? []) as Array<Record<string, any>>).flatMap(scans)];
}
