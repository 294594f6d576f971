/**
 * Worker threads for the thread runner's CPU-bound tasks (worker_threads = true) and, by default,
 * its tasks with a timeout: up to one per CPU, started on first use, each importing the app module;
 * a worker that dies is replaced on the next run. Task code in a worker reaches the backend through
 * the runner (remote/host.ts). A worker enforces timeouts itself (aborts ctx.signal); one still
 * running a timed-out task TIMEOUT_KILL_GRACE_MS later is terminated, and the other invocations it
 * held are rerun.
 */
import { availableParallelism } from 'node:os';
import type { Runtime } from '../runtime/runtime.js';
import type { InvocationRecord } from '../core/records.js';
import type { Backends } from '../backends/registry.js';
import type { WaitHooks } from '../orchestration/context.js';
import { failureOutcome } from './execute.js';
import { dispose, type Disposition, type GuestHandle } from './remote/host.js';
import { requireAppModule, workerGuest } from './remote/spawn.js';

export class WorkerPool {
  /** Each worker with the promise of its start. */
  private readonly all = new Map<GuestHandle, Promise<GuestHandle>>();
  private closing = false;
  /** Tasks a worker can run (what its modules register), once a worker has started. */
  private loadable?: Promise<ReadonlySet<string>>;

  constructor(
    private readonly app: Runtime,
    private readonly backends: Backends,
    private readonly runnerId: string,
    private readonly appModule: string | string[] | undefined,
    private readonly max = availableParallelism(),
  ) {}

  get size(): number {
    return this.all.size;
  }

  /**
   * Runs one attempt on a worker and says what to do with how it ended. `cancelled`: checked once a
   * worker is found; a cancelled invocation is not started (the runner writes it CANCELLED).
   */
  async run(
    rec: InvocationRecord,
    hooks: WaitHooks,
    cancelled: () => boolean = () => false,
  ): Promise<Disposition> {
    let guest: GuestHandle;
    try {
      guest = await this.pick();
    } catch (err) {
      return { kind: 'finish', out: failureOutcome(this.app, rec, err) };
    }
    if (cancelled()) {
      return { kind: 'recover' };
    }
    return dispose(this.app, rec, await guest.run(rec, hooks), this.closing, 'worker thread');
  }

  /** A cancelled invocation: its worker aborts its signal, and is terminated if it holds on. */
  cancel(id: string, reason: string): void {
    for (const g of this.all.keys()) {
      if (g.cancel(id, reason)) {
        return;
      }
    }
  }

  /**
   * Whether a worker can run `taskId`: its modules register it (a task made inline, e.g. a closure
   * in a script, is not there). Starts the first worker to find out; false if it cannot start.
   */
  canRun(taskId: string): Promise<boolean> {
    this.loadable ??= this.pick().then(
      (g) => new Set(g.taskIds),
      (err: unknown) => {
        this.app.logger.warn(
          'worker threads cannot start; tasks with a timeout run on the main thread',
          {
            runner: this.runnerId,
            error: (err as Error).message,
          },
        );
        return new Set<string>();
      },
    );
    return this.loadable.then((ids) => ids.has(taskId));
  }

  /** The least busy live worker, starting a new one while below `max` and all are busy. */
  private async pick(): Promise<GuestHandle> {
    const appModule = requireAppModule('thread (worker_threads)', this.appModule);
    for (const g of this.all.keys()) {
      if (!g.alive) {
        this.all.delete(g);
      }
    }
    const live = [...this.all.keys()];
    const idle = live.find((g) => g.size === 0);
    if (idle) {
      return this.all.get(idle)!;
    }
    if (this.all.size < this.max || live.length === 0) {
      const { handle, ready } = workerGuest({
        app: this.app,
        b: this.backends,
        appModule,
        runnerId: this.runnerId,
        mode: 'guest',
        guestTimeouts: true,
      });
      this.all.set(handle, ready);
      void ready.catch(() => this.all.delete(handle));
      return ready;
    }
    const least = live.reduce((a, g) => (g.size < a.size ? g : a));
    return this.all.get(least)!;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const g of this.all.keys()) {
      g.ch.kill();
    }
    this.all.clear();
  }
}
