/**
 * The thread runner: in this process, async tasks share the event loop up to `concurrency` at once.
 * Claims in batches, writes status changes in batches, and frees a task's slot while it awaits
 * another task's result. Tasks with `worker_threads = true` run on a pool of worker threads, so
 * CPU-bound work does not stall the loop (and its heartbeat).
 */
import type { Runtime } from '../runtime/runtime.js';
import type { InvocationRecord } from '../core/records.js';
import { ClaimingRunner } from './base.js';
import { runAttempt } from './execute.js';
import type { Disposition } from './remote/host.js';
import type { RunnerOptions } from './runner.js';
import { Slots } from './slots.js';
import { WorkerPool } from './worker-pool.js';

export class ThreadRunner extends ClaimingRunner {
  readonly kind = 'thread';
  private readonly slots: Slots;
  private workers?: WorkerPool;

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
    try {
      const hooks = this.waitHooks(rec, this.slots);
      if (this.usesWorker(rec)) {
        this.workers ??= new WorkerPool(this.app, this.b, this.id, this.opts.appModule);
        end = await this.workers.run(rec, hooks);
      } else {
        end = { kind: 'finish', out: await runAttempt(this.app, rec, this.id, hooks) };
      }
    } finally {
      // Free before the outcome is written: the loop then writes it with its next claim.
      this.slots.release();
    }
    await this.settle(rec, end);
  }

  private usesWorker(rec: InvocationRecord): boolean {
    try {
      return this.app.getTask(rec.taskId)?.options.worker_threads === true;
    } catch {
      return false;
    }
  }

  protected override async abort(): Promise<void> {
    await this.workers?.close();
  }
}

export async function startThreadRunner(app: Runtime, opts: RunnerOptions): Promise<ThreadRunner> {
  return new ThreadRunner(app, opts).start();
}
