import type { StoredEvent, TriggerStore } from '../trigger-store.js';
import type { MemoryStore } from './store.js';

export class MemoryTriggerStore implements TriggerStore {
  constructor(private readonly s: MemoryStore) {}
  async saveCondition(id: string, spec: string): Promise<void> {
    this.s.conditions.set(id, spec);
  }
  async conditions(): Promise<Array<{ id: string; spec: string }>> {
    return [...this.s.conditions].map(([id, spec]) => ({ id, spec }));
  }
  async lastFire(triggerId: string): Promise<number | null> {
    return this.s.lastFires.get(triggerId) ?? null;
  }
  async casLastFire(triggerId: string, expected: number | null, next: number): Promise<boolean> {
    if ((this.s.lastFires.get(triggerId) ?? null) !== expected) {
      return false;
    }
    this.s.lastFires.set(triggerId, next);
    return true;
  }
  async addEvent(e: StoredEvent): Promise<void> {
    this.s.events.push({ ...e });
  }
  async events(since: number, limit: number): Promise<StoredEvent[]> {
    return this.s.events
      .filter((e) => e.at >= since)
      .sort((a, b) => a.at - b.at)
      .slice(0, limit)
      .map((e) => ({ ...e }));
  }
  async purgeEvents(before: number): Promise<number> {
    const keep = this.s.events.filter((e) => e.at >= before);
    const n = this.s.events.length - keep.length;
    this.s.events.splice(0, this.s.events.length, ...keep);
    return n;
  }
  async claimRun(runId: string, now: number): Promise<boolean> {
    if (this.s.runClaims.has(runId)) {
      return false;
    }
    this.s.runClaims.set(runId, now);
    return true;
  }
  async setPaused(triggerId: string, paused: boolean): Promise<void> {
    if (paused) {
      this.s.pausedTriggers.add(triggerId);
    } else {
      this.s.pausedTriggers.delete(triggerId);
    }
  }
  async pausedTriggers(): Promise<string[]> {
    return [...this.s.pausedTriggers].sort();
  }
}
