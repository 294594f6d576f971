import type { DataStore } from '../data-store.js';
import type { RedisConn } from './connection.js';
import { chunks } from './state.js';

/** Blobs as strings under their sha256, with running totals for stats(). */
export class RedisDataStore implements DataStore {
  constructor(private readonly c: RedisConn) {}

  async put(key: string, data: Buffer): Promise<void> {
    await this.c.script('blob_put', [key, data]);
  }

  async get(key: string): Promise<Buffer | null> {
    return this.c.retrying(() => this.c.main.getBuffer(this.c.keys.blob(key)));
  }

  async has(key: string): Promise<boolean> {
    return (await this.c.retrying(() => this.c.main.exists(this.c.keys.blob(key)))) === 1;
  }

  async delete(keys: string[]): Promise<number> {
    if (!keys.length) {
      return 0;
    }
    return Number(await this.c.guarded('blob_delete', keys));
  }

  async stats(): Promise<{ count: number; bytes: number }> {
    const [count, bytes] = await this.c.retrying(() =>
      this.c.main.hmget(this.c.keys.blobStats, 'count', 'bytes'),
    );
    return { count: Number(count ?? 0), bytes: Number(bytes ?? 0) };
  }

  async addRefs(key: string, invocationIds: string[]): Promise<void> {
    for (const part of chunks(invocationIds)) {
      await this.c.script('blob_refs', [key, ...part]);
    }
  }

  async release(invocationIds: string[]): Promise<number> {
    let n = 0;
    for (const part of chunks(invocationIds)) {
      n += Number(await this.c.script('blob_release', part));
    }
    return n;
  }

  async referrers(): Promise<string[]> {
    return this.c.retrying(() => this.c.main.smembers(this.c.keys.blobReferrers));
  }
}
