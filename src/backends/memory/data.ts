import type { DataStore } from '../data-store.js';
import type { MemoryStore } from './store.js';

export class MemoryDataStore implements DataStore {
  constructor(private readonly s: MemoryStore) {}
  async put(key: string, data: Buffer): Promise<void> {
    if (!this.s.blobs.has(key)) {
      this.s.blobs.set(key, Buffer.from(data));
    }
  }
  async get(key: string): Promise<Buffer | null> {
    return this.s.blobs.get(key) ?? null;
  }
  async has(key: string): Promise<boolean> {
    return this.s.blobs.has(key);
  }
  async delete(keys: string[]): Promise<number> {
    return keys.filter((k) => this.s.blobs.delete(k)).length;
  }
  async stats(): Promise<{ count: number; bytes: number }> {
    let bytes = 0;
    for (const b of this.s.blobs.values()) {
      bytes += b.length;
    }
    return { count: this.s.blobs.size, bytes };
  }
  async addRefs(key: string, invocationIds: string[]): Promise<void> {
    let refs = this.s.blobRefs.get(key);
    if (!refs) {
      this.s.blobRefs.set(key, (refs = new Set()));
    }
    for (const id of invocationIds) {
      refs.add(id);
      let keys = this.s.invBlobs.get(id);
      if (!keys) {
        this.s.invBlobs.set(id, (keys = new Set()));
      }
      keys.add(key);
    }
  }
  async release(invocationIds: string[]): Promise<number> {
    let deleted = 0;
    for (const id of invocationIds) {
      for (const key of this.s.invBlobs.get(id) ?? []) {
        const refs = this.s.blobRefs.get(key);
        refs?.delete(id);
        if (refs && refs.size === 0) {
          this.s.blobRefs.delete(key);
          if (this.s.blobs.delete(key)) {
            deleted++;
          }
        }
      }
      this.s.invBlobs.delete(id);
    }
    return deleted;
  }
  async referrers(): Promise<string[]> {
    return [...this.s.invBlobs.keys()];
  }
}
