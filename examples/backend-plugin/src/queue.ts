/**
 * The broker's storage: one FIFO per priority (0-9) and a list of delayed entries, in this
 * process. Brokers opened with the same queue name share one (as clients of one server would).
 */
import { Wakeup } from 'taskapp/backend';

export class LocalQueue {
  /** Ids ready to run, one FIFO per priority; the highest priority is taken first. */
  readonly ready: string[][] = Array.from({ length: 10 }, () => []);
  /** Ids not to run before `notBefore` (a retry's backoff, a call's delayMs). */
  readonly delayed: Array<{ id: string; priority: number; notBefore: number }> = [];
  /** Wakes claimers waiting for work. */
  readonly wakeup = new Wakeup();
}

const queues = new Map<string, LocalQueue>();

export function queueNamed(name: string): LocalQueue {
  let q = queues.get(name);
  if (!q) {
    q = new LocalQueue();
    queues.set(name, q);
  }
  return q;
}
