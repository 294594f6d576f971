/** A small LRU map: a Map keeps insertion order, so the first key is the least recently used. */
export class Lru<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.entries.get(k);
    if (v !== undefined) {
      this.entries.delete(k);
      this.entries.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    if (this.max <= 0) {
      return;
    }
    this.entries.delete(k);
    this.entries.set(k, v);
    if (this.entries.size > this.max) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
  }
  has(k: K): boolean {
    return this.entries.has(k);
  }
  get size(): number {
    return this.entries.size;
  }
}
