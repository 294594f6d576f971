import type {
  HistoryEntry,
  InvocationExtras,
  InvocationFilter,
  InvocationRecord,
  LogRecord,
  NewInvocation,
  RunnerInfo,
} from '../core/records.js';

/**
 * Stores invocations (arguments, results, errors, history) and runners. Status changes go through
 * the Orchestrator; this role reads and records.
 */
export interface StateBackend {
  /**
   * Stores new invocations as REGISTERED (history included), all or none. One with a
   * `registrationKey` that matches an invocation still REGISTERED is not stored: that one's id is
   * returned in its place (atomically: two racing calls never both store). Returns the id of each.
   */
  insert(invocations: NewInvocation[], now: number): Promise<string[]>;
  get(id: string): Promise<InvocationRecord | null>;
  getMany(ids: string[]): Promise<InvocationRecord[]>;
  history(id: string): Promise<HistoryEntry[]>;
  /** Histories of many invocations in one round trip (the monitor's timeline); unknown ids are absent. */
  historyMany(ids: string[]): Promise<Record<string, HistoryEntry[]>>;
  list(filter: InvocationFilter): Promise<InvocationRecord[]>;
  countByStatus(): Promise<Record<string, number>>;
  /**
   * Watches `ids` until they are final: each `next()` resolves with those that became final since
   * the last call, as soon as there is at least one (or [] after its timeout). A wake-up where the
   * backend has one, else a short poll.
   */
  watchFinal(ids: string[]): FinalWatch;
  heartbeat(runner: RunnerInfo): Promise<void>;
  runners(): Promise<RunnerInfo[]>;
  removeRunner(id: string): Promise<void>;
  /**
   * The server's time in epoch ms, where runners on several hosts share the backend (postgres
   * now(), redis TIME): heartbeats are written and judged on it. Absent: the local clock is the
   * backend's (memory, sqlite).
   */
  clock?(): Promise<number>;
  /**
   * Sets what `patch` names of an invocation's extras (rerun link, progress), keeping the rest. The
   * invocation need not exist yet: a rerun's link is written just before it is enqueued.
   */
  setExtras(id: string, patch: Partial<InvocationExtras>): Promise<void>;
  /** The extras of those of `ids` that have any, in one round trip. */
  extras(ids: string[]): Promise<Record<string, InvocationExtras>>;
  /** Stores task log lines for the monitor (only when `[monitor] keep_logs = true`). */
  appendLogs(lines: LogRecord[]): Promise<void>;
  /** An invocation's stored log lines, oldest first. */
  logs(invocationId: string): Promise<LogRecord[]>;
  close(): Promise<void>;
}

export interface FinalWatch {
  next(timeoutMs: number, signal?: AbortSignal): Promise<InvocationRecord[]>;
  close(): void;
}

/** Waits once for any of `ids` to be final. */
export async function waitForFinal(
  state: StateBackend,
  ids: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<InvocationRecord[]> {
  const w = state.watchFinal(ids);
  try {
    return await w.next(timeoutMs, signal);
  } finally {
    w.close();
  }
}
