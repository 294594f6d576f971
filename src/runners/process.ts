/**
 * The process runner: a fresh child process per invocation, up to `processes` at once. Nothing
 * survives between invocations, and `timeout_seconds` (or a stop) really ends the work: the child
 * is killed.
 */
import { availableParallelism } from 'node:os';
import type { Runtime } from '../runtime/runtime.js';
import type { InvocationRecord } from '../core/records.js';
import { ClaimingRunner } from './base.js';
import { failureOutcome } from './execute.js';
import { dispose, type GuestHandle } from './remote/host.js';
import { forkGuest, requireAppModule } from './remote/spawn.js';
import type { RunnerOptions } from './runner.js';
import { Slots } from './slots.js';

class ProcessRunner extends ClaimingRunner {
  readonly kind = 'process';
  private readonly slots: Slots;
  private readonly appModule: string[];
  private readonly live = new Set<GuestHandle>();
  private aborting = false;

  constructor(app: Runtime, opts: RunnerOptions = {}) {
    super(app, opts, 'process');
    this.appModule = requireAppModule('process', opts.appModule);
    this.slots = new Slots(opts.processes ?? app.config.runner.processes ?? availableParallelism());
  }

  protected get capacity(): Slots {
    return this.slots;
  }

  protected override meta(): Record<string, unknown> {
    return { processes: this.slots.size, inFlight: this.inFlight.size };
  }

  protected async launch(rec: InvocationRecord): Promise<void> {
    this.slots.take();
    const { handle, ready } = forkGuest({
      app: this.app,
      b: this.backends,
      appModule: this.appModule,
      runnerId: this.id,
      mode: 'guest',
    });
    this.live.add(handle);
    try {
      try {
        await ready;
      } catch (err) {
        if (this.aborting) {
          return;
        }
        await this.finish(rec, failureOutcome(this.app, rec, err));
        return;
      }
      if (this.cancelReason(rec.id) !== undefined) {
        await this.finishCancelled(rec);
        return;
      }
      const end = await handle.run(rec, this.waitHooks(rec, this.slots));
      await this.settle(rec, dispose(this.app, rec, end, this.aborting, 'child process'));
    } finally {
      this.live.delete(handle);
      handle.ch.kill();
      this.slots.release();
    }
  }

  /** Its child aborts the signal; the child is killed if it has not ended after the grace period. */
  protected override stopWork(id: string, reason: string): void {
    for (const h of this.live) {
      if (h.cancel(id, reason)) {
        return;
      }
    }
  }

  protected override async abort(): Promise<void> {
    this.aborting = true;
    for (const h of this.live) {
      h.ch.kill();
    }
  }
}

export async function startProcessRunner(
  app: Runtime,
  opts: RunnerOptions,
): Promise<ProcessRunner> {
  return new ProcessRunner(app, opts).start();
}
