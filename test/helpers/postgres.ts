/**
 * Postgres test scopes: each test run creates schemas named taskapp_test_<pid>_<n> on the shared
 * server and drops only those afterwards (other runs use the same server at the same time).
 */
import pg from 'pg';
import { migrations } from '../../src/backends/postgres/migrate.js';

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

/** Runs `fn` on a client of its own whose search_path is `schema`. */
export async function withSchemaClient<T>(
  schema: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`SET search_path TO "${schema}"`);
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates `schema` at `version` the way a taskapp of that version left it (its migrations only). */
export async function migrateTo(c: pg.Client, schema: string, version: number): Promise<void> {
  await c.query(`CREATE SCHEMA "${schema}"`);
  await c.query(`SET search_path TO "${schema}"`);
  await c.query(`CREATE TABLE schema_version (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  for (const m of migrations().filter((m) => m.version <= version)) {
    await c.query(m.sql);
    await c.query('INSERT INTO schema_version (version, name) VALUES ($1, $2)', [
      m.version,
      m.name,
    ]);
  }
}
