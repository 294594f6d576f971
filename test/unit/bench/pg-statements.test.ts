/**
 * bench/pg-statements.ts (`npm run bench -- --backend postgres --statements`): the run's statements
 * from pg_stat_statements as costs per invocation, and a clear refusal where the server has not
 * loaded the extension (nothing created there).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  perInvocation,
  openStatements,
  StatementsUnavailable,
} from '../../../bench/pg-statements.js';
import { PG_HOST, PG_PORT, PG_URL } from '../../helpers/postgres.js';
import { describeWithService } from '../../helpers/services.js';

describe('per-statement costs', () => {
  it('divides time, blocks and WAL by the invocations, keeps the dearest first, one line each', () => {
    const rows = [
      {
        calls: '20',
        total_exec_time: 389.4,
        shared_blks: '246000',
        wal_bytes: '13800000',
        query: 'WITH ins AS (INSERT INTO invocations\n    (id, task_id) SELECT 1)',
      },
      { calls: 267, total_exec_time: 283.2, shared_blks: 186000, wal_bytes: 8800000, query: 'q2' },
    ];
    expect(perInvocation(rows, 20_000)).toEqual([
      {
        calls: 20,
        exec_us_per_inv: 19.47,
        mean_ms: 19.47,
        blocks_per_inv: 12.3,
        wal_bytes_per_inv: 690,
        statement: 'WITH ins AS (INSERT INTO invocations (id, task_id) SELECT 1)',
      },
      {
        calls: 267,
        exec_us_per_inv: 14.16,
        mean_ms: 1.061,
        blocks_per_inv: 9.3,
        wal_bytes_per_inv: 440,
        statement: 'q2',
      },
    ]);
    const many = Array.from({ length: 20 }, (_, i) => ({ ...rows[1]!, query: `q${i}` }));
    expect(perInvocation(many, 1)).toHaveLength(8);
    expect(perInvocation([{ ...rows[1]!, query: 'x'.repeat(500) }], 1)[0]!.statement).toHaveLength(
      70,
    );
  });
});

await describeWithService('postgres', PG_HOST, PG_PORT, 'per-statement probe', () => {
  it('reports the statements run since it started, or refuses where the extension is not loaded', async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const libs = (
        await c.query<{ v: string }>("SELECT current_setting('shared_preload_libraries') AS v")
      ).rows[0]!.v;
      const hadExtension = async () =>
        (await c.query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")).rowCount;
      const before = await hadExtension();
      if (!libs.includes('pg_stat_statements')) {
        const err = await openStatements(PG_URL).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StatementsUnavailable);
        expect(err).toMatchObject({ code: 'BENCH_STATEMENTS' });
        expect((err as StatementsUnavailable).fix).toContain('shared_preload_libraries');
        expect(await hadExtension()).toBe(before);
        return;
      }
      // A server that loads it (other suites' statements count too: only the shape is certain).
      const probe = await openStatements(PG_URL);
      await probe.reset();
      await c.query('SELECT 1 AS taskapp_statements_probe');
      const costs = await probe.report(1);
      expect(costs.length).toBeLessThanOrEqual(8);
      for (const s of costs) {
        expect(s.exec_us_per_inv).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await c.end();
    }
  });
});
