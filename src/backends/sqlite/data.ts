import type { DataStore } from '../data-store.js';
import type { SqliteDb } from './db.js';

export class SqliteDataStore implements DataStore {
  constructor(private readonly d: SqliteDb) {}
  async put(key: string, data: Buffer): Promise<void> {
    this.d.write(() => this.d.db.prepare('INSERT INTO blobs (key, data, size) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING').run(key, data, data.length));
  }
  async get(key: string): Promise<Buffer | null> {
    const row = this.d.read(() => this.d.db.prepare('SELECT data FROM blobs WHERE key = ?').get(key)) as { data: Buffer } | undefined;
    return row?.data ?? null;
  }
  async has(key: string): Promise<boolean> {
    return this.d.read(() => this.d.db.prepare('SELECT 1 FROM blobs WHERE key = ?').get(key)) !== undefined;
  }
  async delete(keys: string[]): Promise<number> {
    const stmt = this.d.db.prepare('DELETE FROM blobs WHERE key = ?');
    return this.d.write(() => keys.reduce((n, k) => n + stmt.run(k).changes, 0));
  }
  async stats(): Promise<{ count: number; bytes: number }> {
    const row = this.d.read(() => this.d.db.prepare('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM blobs').get()) as { count: number; bytes: number };
    return row;
  }
}
