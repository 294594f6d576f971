import type { DataStore } from '../data-store.js';
import type { SqliteDb } from './db.js';
import { chunks } from './rows.js';

export class SqliteDataStore implements DataStore {
  constructor(private readonly db: SqliteDb) {}
  async put(key: string, data: Buffer): Promise<void> {
    this.db.write(() =>
      this.db.db
        .prepare(
          'INSERT INTO blobs (key, data, size) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
        )
        .run(key, data, data.length),
    );
  }
  async get(key: string): Promise<Buffer | null> {
    const row = this.db.read(() =>
      this.db.db.prepare('SELECT data FROM blobs WHERE key = ?').get(key),
    ) as { data: Buffer } | undefined;
    return row?.data ?? null;
  }
  async has(key: string): Promise<boolean> {
    return (
      this.db.read(() => this.db.db.prepare('SELECT 1 FROM blobs WHERE key = ?').get(key)) !==
      undefined
    );
  }
  async delete(keys: string[]): Promise<number> {
    const stmt = this.db.db.prepare('DELETE FROM blobs WHERE key = ?');
    return this.db.write(() => keys.reduce((n, k) => n + stmt.run(k).changes, 0));
  }
  async stats(): Promise<{ count: number; bytes: number }> {
    const row = this.db.read(() =>
      this.db.db
        .prepare('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM blobs')
        .get(),
    ) as { count: number; bytes: number };
    return row;
  }
  async addRefs(key: string, invocationIds: string[]): Promise<void> {
    const stmt = this.db.db.prepare(
      'INSERT INTO blob_refs (key, inv_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
    );
    this.db.write(() => {
      for (const id of invocationIds) {
        stmt.run(key, id);
      }
    });
  }
  async release(invocationIds: string[]): Promise<number> {
    return this.db.write(() => {
      const keys = new Set<string>();
      for (const part of chunks(invocationIds)) {
        const marks = part.map(() => '?').join(',');
        for (const k of this.db.db
          .prepare(`SELECT DISTINCT key FROM blob_refs WHERE inv_id IN (${marks})`)
          .pluck()
          .all(...part) as string[]) {
          keys.add(k);
        }
        this.db.db.prepare(`DELETE FROM blob_refs WHERE inv_id IN (${marks})`).run(...part);
      }
      const orphan = this.db.db.prepare(
        'DELETE FROM blobs WHERE key = ? AND NOT EXISTS (SELECT 1 FROM blob_refs WHERE key = ?)',
      );
      let n = 0;
      for (const k of keys) {
        n += orphan.run(k, k).changes;
      }
      return n;
    });
  }
  async referrers(): Promise<string[]> {
    return this.db.read(() =>
      this.db.db.prepare('SELECT DISTINCT inv_id FROM blob_refs').pluck().all(),
    ) as string[];
  }
}
