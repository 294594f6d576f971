/**
 * The broker role: route ids to a queue, hand them to claimers highest priority first, then
 * oldest. Delivery may be at-least-once: the orchestrator's acquire drops an id no longer waiting.
 */
import { clampPriority, type Broker, type QueueItem } from 'taskapp/backend';
import type { LocalQueue } from './queue.js';

export class LocalBroker implements Broker {
  private interrupted = false;

  constructor(private readonly q: LocalQueue) {}

  async route(items: QueueItem[]): Promise<void> {
    const now = Date.now();
    for (const it of items) {
      if (it.notBefore !== undefined && it.notBefore > now) {
        this.q.delayed.push({ id: it.id, priority: it.priority, notBefore: it.notBefore });
      } else {
        this.q.ready[clampPriority(it.priority)]!.push(it.id);
      }
    }
    this.q.wakeup.notify();
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
      // Sleep until woken by a route, or until the next delayed id comes due: no polling.
      const nextDue = this.q.delayed.reduce((m, d) => Math.min(m, d.notBefore), Infinity);
      await this.q.wakeup.wait(Math.min(left, Math.max(1, nextDue - Date.now())));
    }
  }

  private take(max: number): string[] {
    const now = Date.now();
    for (let i = this.q.delayed.length - 1; i >= 0; i--) {
      const d = this.q.delayed[i]!;
      if (d.notBefore <= now) {
        this.q.ready[clampPriority(d.priority)]!.push(d.id);
        this.q.delayed.splice(i, 1);
      }
    }
    const out: string[] = [];
    for (let p = 9; p >= 0 && out.length < max; p--) {
      const fifo = this.q.ready[p]!;
      out.push(...fifo.splice(0, max - out.length));
    }
    return out;
  }

  /** Lets recovery tell an invocation stranded in a queued status from one still in the queue. */
  async queued(ids: string[]): Promise<Set<string>> {
    const all = new Set([...this.q.ready.flat(), ...this.q.delayed.map((d) => d.id)]);
    return new Set(ids.filter((id) => all.has(id)));
  }

  async count(): Promise<number> {
    return this.q.ready.reduce((n, fifo) => n + fifo.length, 0) + this.q.delayed.length;
  }

  async purge(): Promise<void> {
    for (const fifo of this.q.ready) {
      fifo.length = 0;
    }
    this.q.delayed.length = 0;
  }

  interrupt(): void {
    this.interrupted = true;
    this.q.wakeup.notify();
  }

  async close(): Promise<void> {
    this.interrupt();
  }
}
