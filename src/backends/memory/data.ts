import type { DataStore } from '../data-store.js';
import type { MemoryStore } from './store.js';

export class MemoryDataStore implements DataStore {
  constructor(private readonly s: MemoryStore) {}
  async put(key: string, data: Buffer): Promise<void> { if (!this.s.blobs.has(key)) this.s.blobs.set(key, Buffer.from(data)); }
  async get(key: string): Promise<Buffer | null> { return this.s.blobs.get(key) ?? null; }
  async has(key: string): Promise<boolean> { return this.s.blobs.has(key); }
  async delete(keys: string[]): Promise<number> { return keys.filter((k) => this.s.blobs.delete(k)).length; }
  async stats(): Promise<{ count: number; bytes: number }> {
    let bytes = 0;
    for (const b of this.s.blobs.values()) bytes += b.length;
    return { count: this.s.blobs.size, bytes };
  }
}
