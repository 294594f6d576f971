import type { QueueItem } from '../../core/records.js';
import type { Broker } from '../broker.js';
import type { MemoryStore } from './store.js';

export class MemoryBroker implements Broker {
  private interrupted = false;
  constructor(private readonly store: MemoryStore) {}

  async route(items: QueueItem[]): Promise<void> {
    const now = Date.now();
    for (const it of items) {
      if (it.notBefore !== undefined && it.notBefore > now) {
        this.store.delayed.push({ id: it.id, priority: it.priority, notBefore: it.notBefore });
      } else {
        this.store.queues[clampPriority(it.priority)]!.push(it.id);
      }
    }
    this.store.queueWakeup.notify();
  }

  async claim(max: number, waitMs: number): Promise<string[]> {
    this.interrupted = false;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const got = this.take(max);
      if (got.length || this.interrupted) {
        return got;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        return [];
      }
      const nextDelayed = this.store.delayed.reduce((m, d) => Math.min(m, d.notBefore), Infinity);
      await this.store.queueWakeup.wait(Math.min(left, Math.max(1, nextDelayed - Date.now())));
    }
  }

  private take(max: number): string[] {
    const now = Date.now();
    for (let i = this.store.delayed.length - 1; i >= 0; i--) {
      const d = this.store.delayed[i]!;
      if (d.notBefore <= now) {
        this.store.queues[clampPriority(d.priority)]!.push(d.id);
        this.store.delayed.splice(i, 1);
      }
    }
    const out: string[] = [];
    for (let p = 9; p >= 0 && out.length < max; p--) {
      const q = this.store.queues[p]!;
      while (q.length && out.length < max) {
        // One splice per batch: shift() on an array this long moves every element each time.
        for (const id of q.splice(0, max - out.length)) {
          if (!this.parkIfPaused(id, p)) {
            out.push(id);
          }
        }
      }
    }
    return out;
  }

  /** An entry of a paused task routed after the pause goes to its parked store, not to a runner. */
  private parkIfPaused(id: string, priority: number): boolean {
    const task = this.store.pausedTasks.size ? this.store.invocations.get(id)?.taskId : undefined;
    if (task === undefined || !this.store.pausedTasks.has(task)) {
      return false;
    }
    const list = this.store.parked.get(task) ?? [];
    list.push({ id, priority });
    this.store.parked.set(task, list);
    return true;
  }

  async queued(ids: string[]): Promise<Set<string>> {
    const all = new Set([
      ...this.store.queues.flat(),
      ...this.store.delayed.map((d) => d.id),
      ...[...this.store.parked.values()].flat().map((p) => p.id),
    ]);
    return new Set(ids.filter((id) => all.has(id)));
  }

  async count(): Promise<number> {
    const parked = [...this.store.parked.values()].reduce((n, l) => n + l.length, 0);
    return this.store.queues.reduce((n, q) => n + q.length, 0) + this.store.delayed.length + parked;
  }

  async purge(): Promise<void> {
    for (const q of this.store.queues) {
      q.length = 0;
    }
    this.store.delayed.length = 0;
    this.store.parked.clear();
  }

  interrupt(): void {
    this.interrupted = true;
    this.store.queueWakeup.notify();
  }

  async close(): Promise<void> {
    this.interrupt();
  }
}

export function clampPriority(p: number): number {
  return Math.max(0, Math.min(9, Math.round(p)));
}
