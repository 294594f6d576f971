import type { InvocationRecord } from '../core/records.js';
import type { Runtime } from './runtime.js';

/**
 * The time limit of an invocation's attempts in seconds: its call's `timeoutMs` when given
 * (task.call(args, { timeoutMs })), else its task's `timeout_seconds`; undefined: none.
 */
export function attemptTimeoutSeconds(app: Runtime, rec: InvocationRecord): number | undefined {
  const perCall = rec.callOptions?.timeoutMs;
  return perCall !== undefined ? perCall / 1000 : app.getTask(rec.taskId)?.options.timeout_seconds;
}
