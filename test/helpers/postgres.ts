/**
 * Postgres test scopes: each test run creates schemas named taskapp_test_<pid>_<n> on the shared
 * server and drops only those afterwards (other runs use the same server at the same time).
 */
import pg from 'pg';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;
export const PG_URL =
  process.env.TASKAPP_TEST_POSTGRES_URL ?? `postgres://postgres@${PG_HOST}:${PG_PORT}/test`;

export function pgScope(tag: string): { next(): string; prefix: string; cleanup(): Promise<void> } {
  const prefix = `taskapp_test_${tag}_${process.pid}_`;
  let n = 0;
  return {
    prefix,
    next: () => `${prefix}${n++}`,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        const { rows } = await c.query<{ nspname: string }>(
          'SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)',
          [prefix],
        );
        for (const { nspname } of rows) {
          await c.query(`DROP SCHEMA "${nspname}" CASCADE`);
        }
      } finally {
        await c.end();
      }
    },
  };
}

/** Runs `fn` in one transaction of the user's own on a client of `pool`, committed or rolled back. */
export async function inTransaction<T>(
  pool: pg.Pool,
  end: 'COMMIT' | 'ROLLBACK',
  fn: (c: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query(end);
    return out;
  } finally {
    c.release();
  }
}
