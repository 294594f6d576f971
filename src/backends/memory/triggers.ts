import type { StoredEvent, TriggerStore } from '../trigger-store.js';
import type { MemoryStore } from './store.js';

export class MemoryTriggerStore implements TriggerStore {
  constructor(private readonly store: MemoryStore) {}
  async saveCondition(id: string, spec: string): Promise<void> {
    this.store.conditions.set(id, spec);
  }
  async conditions(): Promise<Array<{ id: string; spec: string }>> {
    return [...this.store.conditions].map(([id, spec]) => ({ id, spec }));
  }
  async lastFire(triggerId: string): Promise<number | null> {
    return this.store.lastFires.get(triggerId) ?? null;
  }
  async casLastFire(triggerId: string, expected: number | null, next: number): Promise<boolean> {
    if ((this.store.lastFires.get(triggerId) ?? null) !== expected) {
      return false;
    }
    this.store.lastFires.set(triggerId, next);
    return true;
  }
  async addEvent(e: StoredEvent): Promise<void> {
    this.store.events.push({ ...e });
  }
  async events(since: number, limit: number): Promise<StoredEvent[]> {
    return this.store.events
      .filter((e) => e.at >= since)
      .sort((a, b) => a.at - b.at)
      .slice(0, limit)
      .map((e) => ({ ...e }));
  }
  async purgeEvents(before: number): Promise<number> {
    const keep = this.store.events.filter((e) => e.at >= before);
    const n = this.store.events.length - keep.length;
    this.store.events.splice(0, this.store.events.length, ...keep);
    return n;
  }
  async claimRun(runId: string, now: number): Promise<boolean> {
    if (this.store.runClaims.has(runId)) {
      return false;
    }
    this.store.runClaims.set(runId, now);
    return true;
  }
  async setPaused(triggerId: string, paused: boolean): Promise<void> {
    if (paused) {
      this.store.pausedTriggers.add(triggerId);
    } else {
      this.store.pausedTriggers.delete(triggerId);
    }
  }
  async pausedTriggers(): Promise<string[]> {
    return [...this.store.pausedTriggers].sort();
  }
}
