import type { DataStore } from '../data-store.js';
import type { RedisConn } from './connection.js';
import { chunks } from './state.js';

/** Blobs as strings under their sha256, with running totals for stats(). */
export class RedisDataStore implements DataStore {
  constructor(private readonly conn: RedisConn) {}

  async put(key: string, data: Buffer): Promise<void> {
    await this.conn.script('blob_put', [key, data]);
  }

  async get(key: string): Promise<Buffer | null> {
    return this.conn.retrying(() => this.conn.main.getBuffer(this.conn.keys.blob(key)));
  }

  async has(key: string): Promise<boolean> {
    return (await this.conn.retrying(() => this.conn.main.exists(this.conn.keys.blob(key)))) === 1;
  }

  async delete(keys: string[]): Promise<number> {
    if (!keys.length) {
      return 0;
    }
    return Number(await this.conn.guarded('blob_delete', keys));
  }

  async stats(): Promise<{ count: number; bytes: number }> {
    const [count, bytes] = await this.conn.retrying(() =>
      this.conn.main.hmget(this.conn.keys.blobStats, 'count', 'bytes'),
    );
    return { count: Number(count ?? 0), bytes: Number(bytes ?? 0) };
  }

  async addRefs(key: string, invocationIds: string[]): Promise<void> {
    for (const part of chunks(invocationIds)) {
      await this.conn.script('blob_refs', [key, ...part]);
    }
  }

  async release(invocationIds: string[]): Promise<number> {
    let n = 0;
    for (const part of chunks(invocationIds)) {
      n += Number(await this.conn.script('blob_release', part));
    }
    return n;
  }

  async referrers(): Promise<string[]> {
    return this.conn.retrying(() => this.conn.main.smembers(this.conn.keys.blobReferrers));
  }
}
