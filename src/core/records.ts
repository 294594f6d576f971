/** The stored shapes that cross the backend interfaces. Times are epoch milliseconds. */
import type { Status } from './status.js';

export interface InvocationRecord {
  id: string;
  taskId: string;
  /** Serialized argument object. */
  args: string;
  status: Status;
  /** Runner holding it while PENDING, RUNNING, PAUSED or RESUMED; otherwise null. */
  owner: string | null;
  /** Attempts started so far (1 after the first RUNNING). */
  attempt: number;
  priority: number;
  parentId: string | null;
  workflowId: string | null;
  /** Running-concurrency control, copied from the task's options at call time (null: none). */
  concurrency: ConcurrencyControl | null;
  /** Serialized result, once SUCCESS. */
  result: string | null;
  /** Serialized ErrorData of the last failed attempt. */
  error: string | null;
  createdAt: number;
  updatedAt: number;
  /** Limits of this call (task.call(args, { timeoutMs, expiresAt })), read by the runner; absent: none. */
  callOptions?: CallLimits;
}

/** Per-call limits kept with the invocation (stored as JSON: column `call_options`, redis field `co`). */
export interface CallLimits {
  /** Overrides the task's timeout_seconds for this invocation's attempts. */
  timeoutMs?: number;
  /** Epoch ms: not started by then, it goes CANCELLED ("expired") when a runner claims it. */
  expiresAt?: number;
}

export interface NewInvocation {
  id: string;
  taskId: string;
  args: string;
  priority: number;
  parentId: string | null;
  workflowId: string | null;
  /** Registration concurrency scope: a call whose key matches a REGISTERED invocation reuses it. */
  registrationKey?: string | null;
  concurrency?: ConcurrencyControl | null;
  callOptions?: CallLimits;
}

/**
 * Running concurrency of one invocation: at most `maxRunning` invocations with the same `key`
 * PENDING/RUNNING/PAUSED/RESUMED at once, and (with a rate) at most `rateCount` starts per
 * `rateWindowMs` per key. Checked atomically by the orchestrator when it acquires.
 */
export interface ConcurrencyControl {
  /** The scope both limits count under (task id, plus hashed arguments or key arguments). */
  key: string;
  /** 0: no running limit (rate limit only). */
  maxRunning: number;
  rateCount?: number;
  rateWindowMs?: number;
  /** Blocked by the running limit: back to the queue (true) or CONCURRENCY_CONTROLLED_FINAL. */
  reroute: boolean;
}

/** What `acquire` did: the acquired (PENDING) records, and blocked ones to put back in the queue. */
export interface AcquireResult {
  acquired: InvocationRecord[];
  requeue: QueueItem[];
}

export interface HistoryEntry {
  status: Status;
  runnerId: string | null;
  at: number;
}

export interface RunnerInfo {
  id: string;
  kind: string;
  hostname: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  /** Free-form facts for monitoring (concurrency, children, ...). */
  meta?: Record<string, unknown>;
}

export interface InvocationFilter {
  taskId?: string;
  statuses?: Status[];
  owner?: string;
  /** Children of one invocation (the family tree of an orchestrated call). */
  parentId?: string;
  createdAfter?: number;
  /** Created strictly before this time (a time range with createdAfter). */
  createdBefore?: number;
  limit?: number;
  /** Skips this many of the matches (paging), after ordering newest first. */
  offset?: number;
}

/** What a running task last said of its progress (`ctx.progress`). */
export interface Progress {
  /** 0..1. */
  value: number;
  message: string | null;
  at: number;
}

/**
 * Facts kept beside an invocation, outside its hot-path row: the invocation it reruns (`inv.rerun()`,
 * `taskapp rerun`) and its last progress. Written rarely, deleted by purge with the invocation.
 */
export interface InvocationExtras {
  rerunOf: string | null;
  progress: Progress | null;
}

/** One task log line kept for the monitor (`[monitor] keep_logs = true`). */
export interface LogRecord {
  invocationId: string;
  at: number;
  level: string;
  message: string;
  /** The line's other fields (task, runner, the caller's fields). */
  fields: Record<string, unknown>;
}

/** One queue entry: which invocation, how urgent, and not before when (retry backoff). */
export interface QueueItem {
  id: string;
  priority: number;
  notBefore?: number;
}

/** A status change request. `runnerId` is who asks; ownership is checked against it. */
export interface TransitionRequest {
  id: string;
  to: Status;
  runnerId: string | null;
  /** Set with SUCCESS. */
  result?: string;
  /** Set with FAILED or RETRY. */
  error?: string;
  /**
   * Statuses passed through first, in order, in the same atomic step (KILLED, then `to` REROUTED):
   * the whole path is written or, if any step is not legal, none of it.
   */
  via?: Status[];
}

/**
 * A status change on the hot path (HotPath.transitionAndRoute, finishAndClaim): one that lands in a
 * queued status (QUEUED_STATUSES: RETRY, REROUTED) gets its queue entry in the same atomic step.
 */
export interface RouteRequest extends TransitionRequest {
  /** The queue entry is not claimable before this time (retry backoff). */
  notBefore?: number;
}

/** The runner that ran it last: its owner while it holds one, else the last runner in its history. */
export function runnerOf(
  rec: Pick<InvocationRecord, 'owner'>,
  history: readonly HistoryEntry[],
): string | null {
  return rec.owner ?? [...history].reverse().find((h) => h.runnerId)?.runnerId ?? null;
}
