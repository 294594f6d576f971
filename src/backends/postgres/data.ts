import type { DataStore } from '../data-store.js';
import type { PgDb } from './db.js';

export class PgDataStore implements DataStore {
  constructor(private readonly d: PgDb) {}

  async put(key: string, data: Buffer): Promise<void> {
    await this.d.query('INSERT INTO blobs (key, data, size) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [key, data, data.length]);
  }
  async get(key: string): Promise<Buffer | null> {
    const [row] = await this.d.rows<{ data: Buffer }>('SELECT data FROM blobs WHERE key = $1', [key]);
    return row?.data ?? null;
  }
  async has(key: string): Promise<boolean> {
    return ((await this.d.query('SELECT 1 FROM blobs WHERE key = $1', [key])).rowCount ?? 0) > 0;
  }
  async delete(keys: string[]): Promise<number> {
    if (!keys.length) return 0;
    return (await this.d.query('DELETE FROM blobs WHERE key = ANY($1::text[])', [keys])).rowCount ?? 0;
  }
  async stats(): Promise<{ count: number; bytes: number }> {
    return (await this.d.rows<{ count: number; bytes: number }>('SELECT count(*)::int AS count, coalesce(sum(size), 0)::bigint AS bytes FROM blobs'))[0]!;
  }
}
