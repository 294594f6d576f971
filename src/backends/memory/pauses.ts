import type { QueueItem } from '../../core/records.js';
import type { TaskPauses } from '../task-pauses.js';
import { clampPriority } from './broker.js';
import type { MemoryStore } from './store.js';

/** Paused tasks in this process's memory: each step is synchronous, so atomic. */
export class MemoryTaskPauses implements TaskPauses {
  constructor(private readonly store: MemoryStore) {}

  async pause(task: string): Promise<number> {
    this.store.pausedTasks.add(task);
    const ofTask = (id: string) => this.store.invocations.get(id)?.taskId === task;
    const moved: QueueItem[] = [];
    this.store.queues.forEach((q, p) => {
      const keep = q.filter((id) => !ofTask(id) || !moved.push({ id, priority: p }));
      q.splice(0, q.length, ...keep);
    });
    const keepDelayed = this.store.delayed.filter((d) => !ofTask(d.id) || !moved.push(d));
    this.store.delayed.splice(0, this.store.delayed.length, ...keepDelayed);
    if (moved.length) {
      this.store.parked.set(task, [...(this.store.parked.get(task) ?? []), ...moved]);
    }
    return moved.length;
  }

  async resume(task: string): Promise<number> {
    this.store.pausedTasks.delete(task);
    const back = this.store.parked.get(task) ?? [];
    this.store.parked.delete(task);
    const now = Date.now();
    for (const it of back) {
      if (it.notBefore !== undefined && it.notBefore > now) {
        this.store.delayed.push({ id: it.id, priority: it.priority, notBefore: it.notBefore });
      } else {
        this.store.queues[clampPriority(it.priority)]!.push(it.id);
      }
    }
    this.store.queueWakeup.notify();
    return back.length;
  }

  async paused(): Promise<string[]> {
    return [...this.store.pausedTasks].sort();
  }

  async parkedCounts(): Promise<Record<string, number>> {
    return Object.fromEntries(
      [...this.store.pausedTasks].map((t) => [t, this.store.parked.get(t)?.length ?? 0]),
    );
  }
}
