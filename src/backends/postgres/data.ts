import type { DataStore } from '../data-store.js';
import type { PgDb } from './db.js';

export class PgDataStore implements DataStore {
  constructor(private readonly db: PgDb) {}

  async put(key: string, data: Buffer): Promise<void> {
    await this.db.query(
      'INSERT INTO blobs (key, data, size) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING',
      [key, data, data.length],
    );
  }
  async get(key: string): Promise<Buffer | null> {
    const [row] = await this.db.rows<{ data: Buffer }>('SELECT data FROM blobs WHERE key = $1', [
      key,
    ]);
    return row?.data ?? null;
  }
  async has(key: string): Promise<boolean> {
    return ((await this.db.query('SELECT 1 FROM blobs WHERE key = $1', [key])).rowCount ?? 0) > 0;
  }
  async delete(keys: string[]): Promise<number> {
    if (!keys.length) {
      return 0;
    }
    return (
      (await this.db.query('DELETE FROM blobs WHERE key = ANY($1::text[])', [keys])).rowCount ?? 0
    );
  }
  async addRefs(key: string, invocationIds: string[]): Promise<void> {
    if (!invocationIds.length) {
      return;
    }
    await this.db.query(
      'INSERT INTO blob_refs (key, inv_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING',
      [key, invocationIds],
    );
  }
  /** Drops the references of these invocations and deletes the blobs nothing refers to any more. */
  async release(invocationIds: string[]): Promise<number> {
    if (!invocationIds.length) {
      return 0;
    }
    return this.db.tx(async (c) => {
      const keys = (
        await c.query<{ key: string }>(
          'DELETE FROM blob_refs WHERE inv_id = ANY($1::text[]) RETURNING key',
          [invocationIds],
        )
      ).rows.map((r) => r.key);
      if (!keys.length) {
        return 0;
      }
      const res = await c.query(
        'DELETE FROM blobs b WHERE b.key = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.key = b.key)',
        [[...new Set(keys)]],
      );
      return res.rowCount ?? 0;
    });
  }
  async referrers(): Promise<string[]> {
    return (await this.db.rows<{ inv_id: string }>('SELECT DISTINCT inv_id FROM blob_refs')).map(
      (r) => r.inv_id,
    );
  }
  async stats(): Promise<{ count: number; bytes: number }> {
    return (
      await this.db.rows<{ count: number; bytes: number }>(
        'SELECT count(*)::int AS count, coalesce(sum(size), 0)::bigint AS bytes FROM blobs',
      )
    )[0]!;
  }
}
