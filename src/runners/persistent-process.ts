/**
 * The persistent-process runner: a fixed pool of long-lived children (`processes`, default CPU
 * count), each importing the app module once and running up to `concurrency` invocations at once
 * (async tasks interleave on its event loop; plus any it holds PAUSED while they wait on others).
 * The parent claims in batches, feeds children over IPC and writes their outcomes in batches, so any
 * backend works, memory included. With several slots per child, the child enforces timeouts itself
 * and the parent kills it only when it is stuck past one (its other invocations are rerun). A child
 * that dies is replaced at once and the work it held is rerouted at once, not after a heartbeat
 * timeout.
 */
import { availableParallelism } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { Runtime } from '../runtime/runtime.js';
import type { InvocationRecord } from '../core/records.js';
import { ClaimingRunner } from './base.js';
import { dispose, type GuestHandle, type RunEnd } from './remote/host.js';
import { forkGuest, requireAppModule } from './remote/spawn.js';
import type { RunnerOptions } from './runner.js';
import { SlotGroup } from './slot-group.js';
import { Slots } from './slots.js';

interface Seat {
  slots: Slots;
  guest?: GuestHandle;
  child?: ChildProcess;
}

export class PersistentProcessRunner extends ClaimingRunner {
  readonly kind = 'persistent-process';
  private readonly seats: Seat[];
  private readonly group: SlotGroup;
  private readonly appModule: string[];
  /** Invocations one child runs at once. */
  private readonly perChild: number;
  private aborting = false;
  /** Children started so far, respawns included (monitoring, tests). */
  spawned = 0;

  constructor(app: Runtime, opts: RunnerOptions = {}) {
    super(app, opts, 'persistent-process');
    this.appModule = requireAppModule('persistent-process', opts.appModule);
    const n = opts.processes ?? app.config.runner.processes ?? availableParallelism();
    this.perChild = opts.concurrency ?? app.config.runner.concurrency;
    this.group = new SlotGroup(() => this.seats.filter((s) => s.guest?.alive).map((s) => s.slots));
    this.seats = Array.from({ length: n }, () => ({ slots: this.newSlots() }));
  }

  private newSlots(): Slots {
    return new Slots(this.perChild, () => this.group.notify());
  }

  protected get capacity(): SlotGroup {
    return this.group;
  }

  /** Child process ids, by seat (monitoring, chaos tests). */
  get childPids(): number[] {
    return this.seats.map((s) => s.child?.pid ?? 0);
  }

  protected override meta(): Record<string, unknown> {
    return {
      processes: this.seats.length,
      concurrency: this.perChild,
      children: this.childPids,
      inFlight: this.inFlight.size,
    };
  }

  protected override async prepare(): Promise<void> {
    try {
      await Promise.all(this.seats.map((s) => this.spawn(s)));
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  private spawn(seat: Seat): Promise<GuestHandle> {
    this.spawned++;
    const { child, ready } = forkGuest({
      app: this.app,
      b: this.backends,
      appModule: this.appModule,
      runnerId: this.id,
      mode: 'guest',
      guestTimeouts: this.perChild > 1,
    });
    seat.child = child;
    seat.slots = this.newSlots();
    let started = false;
    child.once('exit', (code, signal) => {
      if (seat.child !== child) {
        return;
      }
      seat.guest = undefined;
      if (this.aborting) {
        return;
      }
      this.app.logger.warn('child process exited; starting another', {
        runner: this.id,
        pid: child.pid,
        code,
        signal,
      });
      // A child that could not even start would fail again at once: retry it slowly.
      setTimeout(
        () => {
          if (this.aborting) {
            return;
          }
          this.spawn(seat).catch((err) => {
            if (!this.aborting) {
              this.app.logger.error('could not restart child process', {
                runner: this.id,
                error: (err as Error).message,
              });
            }
          });
        },
        started ? 0 : 1000,
      );
    });
    return ready.then((h) => {
      started = true;
      if (seat.child === child) {
        seat.guest = h;
        this.group.notify();
      }
      return h;
    });
  }

  protected async launch(rec: InvocationRecord): Promise<void> {
    let seat: Seat | undefined;
    while (!(seat = this.leastBusy())) {
      if (this.stopping) {
        await this.reroute([rec.id]);
        return;
      }
      await this.group.whenClaimable();
    }
    if (this.cancelReason(rec.id) !== undefined) {
      await this.finishCancelled(rec);
      return;
    }
    const slots = seat.slots;
    slots.take();
    let end: RunEnd;
    try {
      end = await seat.guest!.run(rec, this.waitHooks(rec, slots));
    } finally {
      // The child is done with it: its slot takes new work while the outcome is written.
      slots.release();
    }
    await this.settle(rec, dispose(this.app, rec, end, this.aborting, 'child process'));
  }

  /**
   * Its child aborts the signal; if it holds on past the grace period the child is killed, and the
   * other invocations it ran are rerun elsewhere (as for a timeout kill).
   */
  protected override stopWork(id: string, reason: string): void {
    for (const s of this.seats) {
      if (s.guest?.cancel(id, reason)) {
        return;
      }
    }
  }

  /** The live child with the most free slots (spreads work over the CPUs), if any is free. */
  private leastBusy(): Seat | undefined {
    let best: Seat | undefined;
    for (const s of this.seats) {
      if (
        s.guest?.alive &&
        s.slots.claimable > 0 &&
        (!best || s.slots.claimable > best.slots.claimable)
      ) {
        best = s;
      }
    }
    return best;
  }

  protected override async abort(): Promise<void> {
    this.aborting = true;
    const live = this.seats.filter(
      (s) => s.child && s.child.exitCode === null && s.child.signalCode === null,
    );
    const exits = live.map(
      (s) =>
        new Promise((r) => {
          s.child!.once('exit', r);
        }),
    );
    for (const s of live) {
      // Idle children leave cleanly; children still running work (rerouted next) or still starting are killed.
      if (s.guest && s.guest.size === 0) {
        s.guest.stop(0);
      } else {
        s.child!.kill('SIGKILL');
      }
    }
    await Promise.all(exits);
  }
}

export async function startPersistentProcessRunner(
  app: Runtime,
  opts: RunnerOptions,
): Promise<PersistentProcessRunner> {
  return new PersistentProcessRunner(app, opts).start();
}
