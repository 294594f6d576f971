import type { DataStore } from '../data-store.js';
import type { MemoryStore } from './store.js';

export class MemoryDataStore implements DataStore {
  constructor(private readonly store: MemoryStore) {}
  async put(key: string, data: Buffer): Promise<void> {
    if (!this.store.blobs.has(key)) {
      this.store.blobs.set(key, Buffer.from(data));
    }
  }
  async get(key: string): Promise<Buffer | null> {
    return this.store.blobs.get(key) ?? null;
  }
  async has(key: string): Promise<boolean> {
    return this.store.blobs.has(key);
  }
  async delete(keys: string[]): Promise<number> {
    return keys.filter((k) => this.store.blobs.delete(k)).length;
  }
  async stats(): Promise<{ count: number; bytes: number }> {
    let bytes = 0;
    for (const b of this.store.blobs.values()) {
      bytes += b.length;
    }
    return { count: this.store.blobs.size, bytes };
  }
  async addRefs(key: string, invocationIds: string[]): Promise<void> {
    let refs = this.store.blobRefs.get(key);
    if (!refs) {
      this.store.blobRefs.set(key, (refs = new Set()));
    }
    for (const id of invocationIds) {
      refs.add(id);
      let keys = this.store.invBlobs.get(id);
      if (!keys) {
        this.store.invBlobs.set(id, (keys = new Set()));
      }
      keys.add(key);
    }
  }
  async release(invocationIds: string[]): Promise<number> {
    let deleted = 0;
    for (const id of invocationIds) {
      for (const key of this.store.invBlobs.get(id) ?? []) {
        const refs = this.store.blobRefs.get(key);
        refs?.delete(id);
        if (refs && refs.size === 0) {
          this.store.blobRefs.delete(key);
          if (this.store.blobs.delete(key)) {
            deleted++;
          }
        }
      }
      this.store.invBlobs.delete(id);
    }
    return deleted;
  }
  async referrers(): Promise<string[]> {
    return [...this.store.invBlobs.keys()];
  }
}
