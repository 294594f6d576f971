/**
 * The shapes a task function sees (its arguments and `ctx`, `ctx.wf` included): defined below the
 * runners that build them and the facade that registers tasks, so neither imports the other.
 */
import type { Logger } from '../core/logger.js';

export type TaskArgs = Record<string, unknown>;
export type TaskFn<A extends TaskArgs, R> = (args: A, ctx: TaskContext) => R | Promise<R>;

/** What a task receives as its second parameter. */
export interface TaskContext {
  invocationId: string;
  taskId: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  runnerId: string;
  logger: Logger;
  /** Aborted on timeout or cancellation. */
  signal: AbortSignal;
  /** The invocation's workflow: deterministic values, child steps, data, durable waits. */
  wf: WorkflowApi;
  /**
   * Reports how far the task is: `value` from 0 to 1, and a short message (at most 500
   * characters). Shown by `taskapp status`, the monitor and the dashboard; `inv.progress()` reads
   * it. Cheap to call often: writes are rate-limited (`[monitor] progress_interval_ms`), and the
   * last value is always stored before the outcome.
   */
  progress(value: number, message?: string): void;
}

/** A handle on one invocation: its id and, once final, its result. */
export interface InvocationHandle<R = unknown> {
  readonly id: string;
  result(opts?: { timeoutMs?: number }): Promise<R>;
}

/** What `ctx.wf.executeTask` needs of a task: to be called under a given id. */
export interface StepTask<A extends TaskArgs, R> {
  readonly id: string;
  callWithId(id: string, args: A): Promise<InvocationHandle<R>>;
}

export interface WorkflowApi {
  /** The workflow id (the invocation id of the task that started it). */
  readonly id: string;
  /** A number in [0, 1), the same on every run of this invocation. */
  random(): number;
  /** A random UUID, the same on every run of this invocation. */
  uuid(): string;
  /** Epoch milliseconds, recorded on the first run. */
  now(): number;
  /** Runs a child task once: a re-run gets the recorded child's result (waiting if unfinished). */
  executeTask<A extends TaskArgs, R>(task: StepTask<A, R>, args: A): Promise<R>;
  setData(key: string, value: unknown): Promise<void>;
  getData<T = unknown>(key: string): Promise<T | undefined>;
  /** A durable sleep: a re-run after a restart waits only for what is left. */
  sleep(ms: number): Promise<void>;
  /**
   * Waits for an event emitted with app.emit(code, payload) at or after the first run reached
   * this step; `filter` matches the payload (an object pattern, or a predicate). Returns the payload.
   */
  waitForEvent<T = unknown>(
    code: string,
    filter?: Record<string, unknown> | ((payload: T) => boolean),
  ): Promise<T>;
}
