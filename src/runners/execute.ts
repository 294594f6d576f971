/**
 * One attempt of one invocation, shared by every runner and by dev mode: find the task, decode the
 * arguments, run the function in the invocation's async context with its timeout, and turn what
 * happened into the next status (SUCCESS, FAILED, or RETRY with a delay).
 */
import { attemptTimeoutSeconds } from '../runtime/attempt-timeout.js';
import { SerializationError, TaskTimeoutError, UnknownTaskError } from '../core/errors.js';
import type { InvocationRecord } from '../core/records.js';
import type { Runtime } from '../runtime/runtime.js';
import type { RuntimeTask } from '../runtime/runtime.js';
import { ProgressReporter } from '../runtime/progress.js';
import type { TaskArgs, TaskContext } from '../runtime/task-context.js';
import type { Logger } from '../core/logger.js';
import type { StateBackend } from '../backends/state-backend.js';
import type { WorkflowStore } from '../backends/workflow-store.js';
import {
  currentInvocation,
  type RunningContext,
  type WaitHooks,
} from '../orchestration/context.js';
import { ErrorRegistry } from '../serialization/errors.js';
import { argStore } from '../runtime/arg-store.js';
import { retryDelayMs, shouldRetry } from './retry.js';
import type { CancelSwitch } from './cancel-switch.js';
import { WorkflowContext, type WorkflowApi } from '../workflows/context.js';
import { installGuard } from '../workflows/guard.js';
import { startConsumer, tracingOn, type ConsumerSpan } from '../runtime/tracing.js';

export type Outcome =
  | { to: 'SUCCESS'; result: string }
  | { to: 'FAILED'; error: string }
  | { to: 'RETRY'; error: string; delayMs: number };

export interface AttemptOptions {
  /**
   * false when the parent process enforces `timeout_seconds` by killing the child at once (which
   * also stops synchronous loops).
   */
  enforceTimeout?: boolean;
  /**
   * Once a timeout has aborted ctx.signal, how long the attempt waits for the task's body to end
   * before it reports TaskTimeoutError: 0 (default) reports at once; Infinity waits for the body
   * (a guest, whose host kills it if the body is still running past a grace period); a few seconds
   * for a thread runner, which cannot stop a body that ignores its signal.
   */
  afterTimeoutMs?: number;
  /** The timed-out body was still running after `afterTimeoutMs`; `ended` resolves when it ends, if ever. */
  onOverrun?: (ended: Promise<void>) => void;
  /** Cancels the invocation: aborts ctx.signal with its reason. */
  cancel?: CancelSwitch;
}

/**
 * `rec` is the RUNNING record (attempt already counted). Emits started/finished on `app.events`.
 *
 * One async function with as few awaits as the attempt needs: with AsyncLocalStorage on, each
 * await and promise pays for async-hook bookkeeping, per invocation.
 */
export async function runAttempt(
  app: Runtime,
  rec: InvocationRecord,
  runnerId: string,
  hooks?: WaitHooks,
  opts: AttemptOptions = {},
): Promise<Outcome> {
  // Events are built only when something listens (metrics, the monitor): most runners have none.
  const listened = app.events.active;
  const t0 = listened ? performance.now() : 0;
  if (listened) {
    app.events.emit({ type: 'started', taskId: rec.taskId, invocationId: rec.id, runnerId });
  }
  let out: Outcome;
  let timer: NodeJS.Timeout | undefined;
  let attempt: AttemptContext | undefined;
  let span: ConsumerSpan | undefined;
  let failure: unknown;
  const task = app.getTask(rec.taskId);
  try {
    if (!task) {
      throw new UnknownTaskError(rec.taskId, app.taskIds());
    }
    installGuard();
    const timeoutS = opts.enforceTimeout === false ? undefined : attemptTimeoutSeconds(app, rec);
    const store = argStore(app);
    const args = store.resolveInline(rec.args) ?? (await store.resolve(rec.args));
    const { state, workflows } = app.loadedBackends ?? (await app.backends());
    const recorded = WorkflowContext.recordedFor(workflows, rec);
    const ctx = new AttemptContext(
      app,
      rec,
      runnerId,
      hooks && tracingOn() ? tracedHooks(hooks, () => span) : hooks,
      state,
      workflows,
      recorded instanceof Promise ? await recorded : recorded,
    );
    attempt = ctx;
    opts.cancel?.attach((reason) => ctx.abort(reason));
    span = tracingOn() ? await startConsumer(app, rec, runnerId, ctx.running) : undefined;
    const inSpan = <T>(fn: () => T): T => (span ? span.run(fn) : fn());
    let value: unknown;
    if (timeoutS === undefined) {
      // A synchronous throw leaves run() as a throw: caught below like a rejection.
      value = await inSpan(() => currentInvocation.run(ctx.running, callFn, task, args, ctx));
      if (ctx.workflowOpened) {
        await ctx.workflowOpened.flush();
      }
    } else {
      const body = inSpan(() =>
        currentInvocation.run(ctx.running, callTaskAndFlush, task, args, ctx),
      );
      let timedOut: TaskTimeoutError | undefined;
      try {
        value = await Promise.race([
          body,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              timedOut = new TaskTimeoutError(rec.id, timeoutS);
              ctx.abort(timedOut);
              reject(timedOut);
            }, timeoutS * 1000);
          }),
        ]);
      } catch (err) {
        if (err === timedOut) {
          await waitForTimedOutBody(body, opts);
        }
        throw err;
      }
    }
    out = successOutcome(app, rec, value);
  } catch (err) {
    failure = err;
    out = task
      ? failureOutcome(app, rec, err)
      : { to: 'FAILED', error: app.errors.serialize(err, app.serializer) };
  } finally {
    if (timer) {
      clearTimeout(timer);
    }
  }
  // Only a task that reported progress waits here (no extra tick for the others).
  const flushing = attempt?.flushProgress();
  if (flushing) {
    await flushing;
  }
  span?.end(out.to, out.to === 'SUCCESS' ? undefined : (failure ?? new Error(out.error)));
  if (listened) {
    app.events.emit({
      type: 'finished',
      taskId: rec.taskId,
      invocationId: rec.id,
      runnerId,
      status: out.to,
      durationMs: performance.now() - t0,
    });
  }
  return out;
}

/** PAUSED / RESUMED as events of the attempt's span (set once the span has started). */
function tracedHooks(hooks: WaitHooks, span: () => ConsumerSpan | undefined): WaitHooks {
  return {
    pause: () => {
      span()?.status('PAUSED');
      return hooks.pause();
    },
    resume: async () => {
      await hooks.resume();
      span()?.status('RESUMED');
    },
  };
}

/** After a timeout: gives the body `afterTimeoutMs` to end (it has seen its signal abort). */
async function waitForTimedOutBody(body: Promise<unknown>, opts: AttemptOptions): Promise<void> {
  const waitMs = opts.afterTimeoutMs ?? 0;
  if (waitMs <= 0) {
    return;
  }
  const ended = body.then(
    () => {},
    () => {},
  );
  if (waitMs === Infinity) {
    return ended;
  }
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    ended.then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs))),
  ]);
  clearTimeout(timer);
  if (!inTime) {
    opts.onOverrun?.(ended);
  }
}

function callFn(
  task: RuntimeTask<TaskArgs, unknown>,
  args: TaskArgs,
  ctx: AttemptContext,
): unknown {
  return task.fn(args, ctx);
}

/** With a timeout: values the task drew from ctx.wf are recorded within the time allowed. */
async function callTaskAndFlush(
  task: RuntimeTask<TaskArgs, unknown>,
  args: TaskArgs,
  ctx: AttemptContext,
): Promise<unknown> {
  const value = await task.fn(args, ctx);
  if (ctx.workflowOpened) {
    await ctx.workflowOpened.flush();
  }
  return value;
}

function successOutcome(app: Runtime, rec: InvocationRecord, value: unknown): Outcome {
  try {
    return { to: 'SUCCESS', result: app.serializer.serialize(value, 'result') };
  } catch (err) {
    const e =
      err instanceof SerializationError
        ? new SerializationError(
            `task "${rec.taskId}" returned a value that cannot be serialized: ${err.message}`,
            err.fix,
          )
        : err;
    return { to: 'FAILED', error: app.errors.serialize(e, app.serializer) };
  }
}

/**
 * The task's `ctx`. Most tasks never touch its signal, logger or workflow, so each is made on first
 * use: an AbortController, a child logger and a workflow context per attempt were a large part of
 * the per-invocation cost.
 */
class AttemptContext implements TaskContext {
  readonly invocationId: string;
  readonly taskId: string;
  readonly attempt: number;
  /** The invocation's async context (call() and result() read it; the guard reads its `guard`). */
  readonly running: RunningContext;
  private controller?: AbortController;
  private log?: Logger;
  private workflow?: WorkflowContext;
  private reporter?: ProgressReporter;

  constructor(
    private readonly app: Runtime,
    private readonly rec: InvocationRecord,
    readonly runnerId: string,
    private readonly hooks: WaitHooks | undefined,
    private readonly state: StateBackend,
    private readonly workflows: WorkflowStore,
    private readonly recorded: Record<string, string>,
  ) {
    this.invocationId = rec.id;
    this.taskId = rec.taskId;
    this.attempt = rec.attempt;
    this.running = {
      invocationId: rec.id,
      taskId: rec.taskId,
      workflowId: rec.workflowId ?? rec.id,
      hooks,
      signal: () => this.signal,
    };
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  get logger(): Logger {
    return (this.log ??= this.app.logger.child({
      invocation: this.rec.id,
      task: this.rec.taskId,
      runner: this.runnerId,
    }));
  }

  /** First use marks the task as a workflow task: from then on the determinism guard checks it. */
  get wf(): WorkflowApi {
    if (!this.workflow) {
      this.workflow = new WorkflowContext(
        this.app,
        this.rec,
        this.state,
        this.workflows,
        this.hooks,
        () => this.signal,
        this.recorded,
      );
      const logger = () => this.logger;
      this.running.guard = {
        taskId: this.rec.taskId,
        strict: this.app.config.determinism === 'strict',
        get logger() {
          return logger();
        },
      };
    }
    return this.workflow!;
  }

  progress(value: number, message?: string): void {
    (this.reporter ??= new ProgressReporter(
      this.state,
      this.rec.id,
      this.app.config.monitor.progress_interval_ms,
      () => this.logger,
    )).report(value, message);
  }

  /** Stores the last progress reported, if any (before the outcome is written). */
  flushProgress(): Promise<void> | undefined {
    return this.reporter?.flush();
  }

  /** Timeout or cancel: aborts ctx.signal (made now if the task has not looked at it yet). */
  abort(reason: Error): void {
    (this.controller ??= new AbortController()).abort(reason);
  }

  /** The workflow context if the task used ctx.wf. */
  get workflowOpened(): WorkflowContext | undefined {
    return this.workflow;
  }
}

export function failureOutcome(app: Runtime, rec: InvocationRecord, err: unknown): Outcome {
  const error = app.errors.serialize(err, app.serializer);
  const task = app.getTask(rec.taskId);
  if (task && shouldRetry(task.options, rec.attempt, err)) {
    return { to: 'RETRY', error, delayMs: retryDelayMs(task.options.retry_backoff, rec.attempt) };
  }
  return { to: 'FAILED', error };
}

export { ErrorRegistry };
