/**
 * Paused tasks (issue 19, item 5): runners stop claiming a paused task's invocations; they wait,
 * parked beside the queue, until it is resumed. The paused set is stored in the backend, so every
 * runner on every host sees it and it outlives restarts. Served by a backend that is broker and
 * state alike: parking moves a queue entry, and which task it belongs to is state.
 *
 * Guarantees: pausing moves the task's queue entries to its parked store in one atomic step; a
 * claim that takes an entry of a paused task (routed after the pause: a new call, a retry, a
 * reroute) parks it in the claim's atomic step instead of starting it, so nothing spins and other
 * tasks never wait behind it; resuming moves the parked entries back in one step and wakes the
 * runners; recovery counts a parked entry as queued (never requeues it).
 */
export interface TaskPauses {
  /** Pauses `task` (idempotent); returns how many queue entries were parked now. */
  pause(task: string): Promise<number>;
  /** Resumes `task` (idempotent); returns how many parked entries went back to the queue. */
  resume(task: string): Promise<number>;
  /** The paused tasks, sorted. */
  paused(): Promise<string[]>;
  /** How many entries each paused task has parked. */
  parkedCounts(): Promise<Record<string, number>>;
}
