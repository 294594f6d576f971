/** A small LRU map: a Map keeps insertion order, so the first key is the least recently used. */
export class Lru<K, V> {
  private readonly m = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    if (this.max <= 0) {
      return;
    }
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) {
      this.m.delete(this.m.keys().next().value as K);
    }
  }
  has(k: K): boolean {
    return this.m.has(k);
  }
  get size(): number {
    return this.m.size;
  }
}
