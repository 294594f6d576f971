/**
 * The thread runner: in this process, async tasks share the event loop up to `concurrency` at once.
 * Claims in batches, writes status changes in batches, and frees a task's slot while it awaits
 * another task's result. Tasks with `worker_threads = true` run on a pool of worker threads, so
 * CPU-bound work does not stall the loop (and its heartbeat); so do tasks with `timeout_seconds`
 * (unless `worker_threads = false`) when a worker can load them, so that a timeout can stop them.
 * A timed-out task on the main thread gets its signal aborted, but if it ignores it, it runs on:
 * it keeps its slot until it ends, its retry waits for it, and a warning names it.
 */
import { attemptTimeoutSeconds } from '../runtime/attempt-timeout.js';
import type { Runtime } from '../runtime/runtime.js';
import type { InvocationRecord } from '../core/records.js';
import { ClaimingRunner } from './base.js';
import { runAttempt } from './execute.js';
import { CANCEL_KILL_GRACE_MS, TIMEOUT_KILL_GRACE_MS, type Disposition } from './remote/host.js';
import { InvocationCancelledError } from '../core/errors.js';
import type { RunnerOptions } from './runner.js';
import { Slots } from './slots.js';
import { CancelSwitch } from './cancel-switch.js';
import { WorkerPool } from './worker-pool.js';

class ThreadRunner extends ClaimingRunner {
  readonly kind = 'thread';
  private readonly slots: Slots;
  private workers?: WorkerPool;
  /** Cancel controllers of the invocations running on this thread. */
  private readonly onThread = new Map<string, CancelSwitch>();

  constructor(app: Runtime, opts: RunnerOptions = {}) {
    super(app, opts, 'thread');
    this.slots = new Slots(opts.concurrency ?? app.config.runner.concurrency);
  }

  protected get capacity(): Slots {
    return this.slots;
  }

  protected override meta(): Record<string, unknown> {
    return {
      concurrency: this.slots.size,
      inFlight: this.inFlight.size,
      workerThreads: this.workers?.size ?? 0,
    };
  }

  protected async launch(rec: InvocationRecord): Promise<void> {
    this.slots.take();
    let end: Disposition;
    let overrun: Promise<void> | undefined;
    const cancel = new CancelSwitch();
    this.onThread.set(rec.id, cancel);
    try {
      const hooks = this.waitHooks(rec, this.slots);
      const inWorker = this.usesWorker(rec);
      if (inWorker === true || (inWorker !== false && (await inWorker))) {
        this.onThread.delete(rec.id);
        end = await this.pool().run(rec, hooks, () => this.cancelReason(rec.id) !== undefined);
      } else {
        const out = await runAttempt(this.app, rec, this.id, hooks, {
          cancel,
          afterTimeoutMs: TIMEOUT_KILL_GRACE_MS,
          onOverrun: (ended) => {
            overrun = ended;
            this.warnOverrun(rec);
          },
        });
        // No overlapping attempts: the retry waits until this one's body has ended.
        if (overrun && out.to === 'RETRY') {
          await overrun;
        }
        end = { kind: 'finish', out };
      }
    } finally {
      this.onThread.delete(rec.id);
      // Free before the outcome is written: the loop then writes it with its next claim. A body
      // still running past its timeout keeps its slot until it ends.
      if (overrun) {
        void overrun.then(() => this.slots.release());
      } else {
        this.slots.release();
      }
    }
    await this.settle(rec, end);
  }

  /**
   * On this thread: abort its signal; a body that ignores it cannot be stopped here, so it is named
   * in a warning and written CANCELLED when it returns. In a worker thread: the worker is
   * terminated after the grace period, as for a timeout.
   */
  protected override stopWork(id: string, reason: string): void {
    const onThread = this.onThread.get(id);
    if (!onThread) {
      this.workers?.cancel(id, reason);
      return;
    }
    onThread.cancel(new InvocationCancelledError(id, reason));
    setTimeout(() => {
      if (this.onThread.get(id) === onThread) {
        this.app.logger.warn(
          `invocation ${id} is still running ${CANCEL_KILL_GRACE_MS / 1000} s after it was cancelled: it ignores ctx.signal, and a thread runner cannot stop code on its own thread; it is marked CANCELLED when it returns`,
          {
            runner: this.id,
            invocation: id,
            fix: 'end the task when ctx.signal aborts, or run it in a worker thread (worker_threads = true), which a cancel can stop',
          },
        );
      }
    }, CANCEL_KILL_GRACE_MS).unref();
  }

  private pool(): WorkerPool {
    return (this.workers ??= new WorkerPool(this.app, this.backends, this.id, this.opts.appModule));
  }

  /**
   * worker_threads = true: always in a worker. Not set and the task has a timeout: in a worker if one
   * can load the task (the runner has its modules, the task is registered there), so the timeout can
   * stop it. Otherwise on this thread.
   */
  private usesWorker(rec: InvocationRecord): boolean | Promise<boolean> {
    let options;
    try {
      options = this.app.getTask(rec.taskId)?.options;
    } catch {
      return false;
    }
    if (!options) {
      return false;
    }
    if (options.worker_threads !== undefined) {
      return options.worker_threads;
    }
    if (options.timeout_seconds === undefined || this.opts.appModule === undefined) {
      return false;
    }
    return this.pool().canRun(rec.taskId);
  }

  private warnOverrun(rec: InvocationRecord): void {
    const seconds = attemptTimeoutSeconds(this.app, rec);
    this.app.logger.warn(
      `task "${rec.taskId}" is still running ${TIMEOUT_KILL_GRACE_MS / 1000} s after its timeout of ${seconds} s: it ignores ctx.signal, and a thread runner cannot stop code on its own thread; it keeps its slot until it ends`,
      {
        runner: this.id,
        task: rec.taskId,
        invocation: rec.id,
        fix: 'end the task when ctx.signal aborts, or let it run in a worker thread, which a timeout can stop (worker_threads = true, with the task in a module the runner loads: `taskapp run` or startRunner({ appModule }))',
      },
    );
  }

  protected override async abort(): Promise<void> {
    await this.workers?.close();
  }
}

export async function startThreadRunner(app: Runtime, opts: RunnerOptions): Promise<ThreadRunner> {
  return new ThreadRunner(app, opts).start();
}
