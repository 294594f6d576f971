/**
 * The invocation running in the current async context (AsyncLocalStorage), so that `call()` knows
 * its parent and `result()` knows who waits on whom without the user passing anything.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

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
}

export const currentInvocation = new AsyncLocalStorage<RunningContext>();
