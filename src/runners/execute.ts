/**
 * One attempt of one invocation, shared by every runner and by dev mode: find the task, decode the
 * arguments, run the function in the invocation's async context with its timeout, and turn what
 * happened into the next status (SUCCESS, FAILED, or RETRY with a delay).
 */
import { SerializationError, TaskTimeoutError, UnknownTaskError } from '../core/errors.js';
import type { InvocationRecord } from '../core/records.js';
import type { App } from '../core/app.js';
import type { TaskContext } from '../core/task.js';
import { currentInvocation, type WaitHooks } from '../orchestration/context.js';
import { ErrorRegistry } from '../serialization/errors.js';
import { argStore } from '../serialization/arg-store.js';
import { retryDelayMs, shouldRetry } from './retry.js';
import { WorkflowContext } from '../workflows/context.js';
import { guardContext, installGuard, type GuardState } from '../workflows/guard.js';

export type Outcome =
  | { to: 'SUCCESS'; result: string }
  | { to: 'FAILED'; error: string }
  | { to: 'RETRY'; error: string; delayMs: number };

/**
 * `rec` is the RUNNING record (attempt already counted). `enforceTimeout: false` when the parent
 * process enforces `timeout_seconds` by killing the child (which also stops synchronous loops).
 * Emits started/finished on `app.events`.
 */
export async function runAttempt(app: App, rec: InvocationRecord, runnerId: string, hooks?: WaitHooks,
  opts: { enforceTimeout?: boolean } = {}): Promise<Outcome> {
  const t0 = performance.now();
  app.events.emit({ type: 'started', taskId: rec.taskId, invocationId: rec.id, runnerId });
  const out = await attempt(app, rec, runnerId, hooks, opts);
  app.events.emit({ type: 'finished', taskId: rec.taskId, invocationId: rec.id, runnerId, status: out.to, durationMs: performance.now() - t0 });
  return out;
}

async function attempt(app: App, rec: InvocationRecord, runnerId: string, hooks: WaitHooks | undefined,
  opts: { enforceTimeout?: boolean }): Promise<Outcome> {
  const task = app.getTask(rec.taskId);
  if (!task) return { to: 'FAILED', error: app.errors.serialize(new UnknownTaskError(rec.taskId, app.taskIds()), app.serializer) };
  const controller = new AbortController();
  const logger = app.logger.child({ invocation: rec.id, task: rec.taskId, runner: runnerId });
  installGuard();
  const guard: GuardState = { taskId: rec.taskId, strict: app.config.determinism === 'strict', logger, active: false };
  let wf: WorkflowContext | undefined;
  const ctx: TaskContext = {
    invocationId: rec.id, taskId: rec.taskId, attempt: rec.attempt, runnerId, logger,
    signal: controller.signal,
    get wf() { return wf!.api(); },
  };
  const timeoutS = opts.enforceTimeout === false ? undefined : task.options.timeout_seconds;
  let timer: NodeJS.Timeout | undefined;
  try {
    const args = await argStore(app).resolve(rec.args);
    wf = await WorkflowContext.open(app, rec, hooks, controller.signal, guard);
    const run = currentInvocation.run(
      { invocationId: rec.id, taskId: rec.taskId, workflowId: rec.workflowId ?? rec.id, hooks },
      () => guardContext.run(guard, () => Promise.resolve().then(() => task.fn(args, ctx))),
    ).then(async (v) => { await wf!.flush(); return v; });
    const value = timeoutS === undefined ? await run : await Promise.race([run, new Promise<never>((_, reject) => {
      timer = setTimeout(() => { const e = new TaskTimeoutError(rec.id, timeoutS); controller.abort(e); reject(e); }, timeoutS * 1000);
    })]);
    try {
      return { to: 'SUCCESS', result: app.serializer.serialize(value, 'result') };
    } catch (err) {
      const e = err instanceof SerializationError
        ? new SerializationError(`task "${rec.taskId}" returned a value that cannot be serialized: ${err.message.replace(/\n {2}fix:.*$/s, '')}`, err.fix)
        : err;
      return { to: 'FAILED', error: app.errors.serialize(e, app.serializer) };
    }
  } catch (err) {
    return failureOutcome(app, rec, err);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export function failureOutcome(app: App, rec: InvocationRecord, err: unknown): Outcome {
  const error = app.errors.serialize(err, app.serializer);
  const task = app.getTask(rec.taskId);
  if (task && shouldRetry(task.options, rec.attempt, err)) {
    return { to: 'RETRY', error, delayMs: retryDelayMs(task.options.retry_backoff, rec.attempt) };
  }
  return { to: 'FAILED', error };
}

export { ErrorRegistry };
