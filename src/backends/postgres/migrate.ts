/**
 * Versioned migrations (migrations/NNN_name.sql) into taskapp's own schema. One transaction holds
 * a per-schema advisory lock, so processes starting at once apply each migration exactly once; the
 * schema's `schema_version` table records what is applied. Also the entry point of `taskapp migrate`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BackendError } from '../../core/errors.js';
import { checkSchemaName, clientConfig, quoteIdent, startError } from './connection.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function migrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d+_.*\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: parseInt(f, 10),
      name: f.replace(/\.sql$/, ''),
      sql: readFileSync(MIGRATIONS_DIR + f, 'utf8'),
    }));
}

export interface MigrateResult {
  schema: string;
  /** Version before and after. */
  from: number;
  to: number;
  /** Names of the migrations this call applied (empty: already up to date). */
  applied: string[];
}

/** Brings `schema` up to the newest version on an open client. */
export async function applyMigrations(
  client: pg.ClientBase,
  schema: string,
): Promise<MigrateResult> {
  const all = migrations();
  const latest = all.at(-1)?.version ?? 0;
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    // Transaction-scoped: released by COMMIT/ROLLBACK, or by the server if this connection dies.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`taskapp.migrate.${schema}`]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!exists.rowCount) {
      await client.query(`CREATE SCHEMA ${s}`);
    }
    await client.query(`SET LOCAL search_path TO ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_version (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const from = Number(
      (await client.query('SELECT coalesce(max(version), 0) AS v FROM schema_version')).rows[0].v,
    );
    if (from > latest) {
      throw new BackendError(
        `PostgreSQL schema "${schema}" is at version ${from}, newer than this taskapp knows (${latest})`,
        'upgrade taskapp on this host to the version the other hosts run',
      );
    }
    const applied: string[] = [];
    for (const m of all) {
      if (m.version <= from) {
        continue;
      }
      await client.query(m.sql);
      await client.query('INSERT INTO schema_version (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
      applied.push(m.name);
    }
    await client.query('COMMIT');
    return { schema, from, to: Math.max(from, latest), applied };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Connects to `url`, migrates `schema` (created if missing) and disconnects. */
export async function migrate(opts: {
  url: string;
  schema?: string;
  applicationName?: string;
}): Promise<MigrateResult> {
  const schema = checkSchemaName(opts.schema ?? 'taskapp');
  const client = new pg.Client(
    clientConfig(pg, opts.url, schema, opts.applicationName ?? 'taskapp migrate'),
  );
  client.on('error', () => {});
  try {
    await client.connect();
    return await applyMigrations(client, schema);
  } catch (err) {
    throw err instanceof BackendError ? err : startError(err, opts.url, schema);
  } finally {
    await client.end().catch(() => {});
  }
}
