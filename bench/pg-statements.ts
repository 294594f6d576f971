/**
 * `npm run bench -- --backend postgres --statements`: the run's per-statement profile from
 * pg_stat_statements, each statement's server time, buffer accesses and WAL per invocation (issue 17
 * asks for "the per-statement profile that bounds" a target). It resets the server's counters
 * before the clock starts, so run it on a private server: every client's statements count.
 */
import pg from 'pg';

/** What pg_stat_statements says of one statement over the run. */
export interface StatementRow {
  calls: string | number;
  total_exec_time: number;
  shared_blks: string | number;
  wal_bytes: string | number;
  query: string;
}

/** One statement's cost per invocation, as the bench prints it. */
export interface StatementCost {
  calls: number;
  exec_us_per_inv: number;
  mean_ms: number;
  blocks_per_inv: number;
  wal_bytes_per_inv: number;
  statement: string;
}

/** Statements shown: the dearest, which hold nearly all of the time. */
const TOP = 8;
/** Characters of each statement shown: enough to tell the hot-path statements apart. */
const SHOWN = 70;

/** The rows (dearest first) as costs per invocation of `invocations`. */
export function perInvocation(rows: readonly StatementRow[], invocations: number): StatementCost[] {
  const per = (v: string | number, digits: number) =>
    +(Number(v) / Math.max(1, invocations)).toFixed(digits);
  return rows.slice(0, TOP).map((r) => {
    const calls = Number(r.calls);
    return {
      calls,
      exec_us_per_inv: per(r.total_exec_time * 1000, 2),
      mean_ms: +(r.total_exec_time / Math.max(1, calls)).toFixed(3),
      blocks_per_inv: per(r.shared_blks, 1),
      wal_bytes_per_inv: per(r.wal_bytes, 0),
      statement: r.query.replace(/\s+/g, ' ').trim().slice(0, SHOWN),
    };
  });
}

/** The extension is missing or not loaded: what to do about it, for the bench's one-line error. */
export class StatementsUnavailable extends Error {
  readonly code = 'BENCH_STATEMENTS';
  readonly fix =
    'start PostgreSQL with -c shared_preload_libraries=pg_stat_statements (postgresql.conf), or drop --statements';
  constructor(readonly cause: string) {
    super(`--statements: pg_stat_statements is not available on this server (${cause})`);
    this.name = 'StatementsUnavailable';
  }
}

export interface StatementsProbe {
  /** Zeroes the server's counters: call it as the clock starts. */
  reset(): Promise<void>;
  /** The statements since reset(), dearest first, per invocation; closes the connection. */
  report(invocations: number): Promise<StatementCost[]>;
}

/** Connects and checks pg_stat_statements works there (creating the extension in `url`'s database if needed). */
export async function openStatements(url: string): Promise<StatementsProbe> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    // Checked first: the extension is not created where it cannot work.
    const { rows } = await c.query<{ libs: string }>(
      "SELECT current_setting('shared_preload_libraries') AS libs",
    );
    if (!rows[0]!.libs.split(',').some((l) => l.trim() === 'pg_stat_statements')) {
      throw new Error(`shared_preload_libraries is '${rows[0]!.libs}'`);
    }
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  } catch (err) {
    await c.end();
    throw new StatementsUnavailable((err as Error).message);
  }
  return {
    async reset() {
      await c.query('SELECT pg_stat_statements_reset()');
    },
    async report(invocations) {
      try {
        const { rows } = await c.query<StatementRow>(
          `SELECT calls, total_exec_time, shared_blks_hit + shared_blks_read AS shared_blks, wal_bytes, query
          FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
          ORDER BY total_exec_time DESC LIMIT ${TOP}`,
        );
        return perInvocation(rows, invocations);
      } finally {
        await c.end();
      }
    },
  };
}
