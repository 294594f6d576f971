/**
 * The invocation running in the current async context (AsyncLocalStorage), so that `call()` knows
 * its parent and `result()` knows who waits on whom without the user passing anything.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../core/logger.js';

export interface WaitHooks {
  /** Called before waiting on another invocation: leave the slot (PAUSED). */
  pause(): Promise<void>;
  /** Called after the awaited result is there: take a slot again (RESUMED). */
  resume(): Promise<void>;
}

export interface RunningContext {
  invocationId: string;
  taskId: string;
  workflowId: string | null;
  /** Absent in dev mode: inline calls hold no slot. */
  hooks?: WaitHooks;
  /** The attempt's ctx.signal (made on first use; aborted at its timeout): waits on results end with it. */
  signal?: () => AbortSignal;
  /**
   * Set once the task uses ctx.wf: the determinism guard checks workflow tasks only. Kept here
   * rather than in a second AsyncLocalStorage, so an attempt enters one async context, not two.
   */
  guard?: GuardState;
  /**
   * The attempt's OpenTelemetry context (its consumer span) when tracing is on: calls made by the
   * task continue its trace even without a context manager (runtime/tracing.ts).
   */
  trace?: unknown;
}

/** What the determinism guard (workflows/guard.ts) needs to know about the running workflow task. */
export interface GuardState {
  taskId: string;
  strict: boolean;
  readonly logger: Logger;
}

export const currentInvocation = new AsyncLocalStorage<RunningContext>();
