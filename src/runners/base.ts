/**
 * What every claiming runner shares: heartbeat, the recovery service, the claim loop (broker claim
 * -> PENDING -> RUNNING in batches), batched outcome writes, and graceful stop (stop claiming, let
 * work finish up to the grace period, reroute the rest KILLED -> REROUTED). Subclasses decide where
 * an invocation runs (`launch`) and how many may run at once (`capacity`).
 */
import type { Runtime } from '../runtime/runtime.js';
import { newRunnerId } from '../core/ids.js';
import type { InvocationRecord } from '../core/records.js';
import type { Backends } from '../backends/registry.js';
import type { FinishAndClaim } from '../backends/hot-path.js';
import type { WaitHooks } from '../orchestration/context.js';
import { recoveryCapOf, rerouteForRecovery, type RecoveryService } from '../runtime/recovery.js';
import type { RetentionService } from '../runtime/retention.js';
import type { OutboxRelay } from '../runtime/outbox.js';
import type { Outcome } from './execute.js';
import type { Disposition } from './remote/host.js';
import type { Heartbeat } from './heartbeat.js';
import { startLiveness } from './liveness.js';
import { ProcessHold } from './keep-alive.js';
import { OwnershipReconciler } from './reconcile.js';
import type { Runner, RunnerHealth, RunnerOptions, StopOptions } from './runner.js';
import type { Capacity, Slots } from './slots.js';
import { TransitionBatcher, type ChangeWriter, type PendingChange } from './transition-batcher.js';
import { mayRoute } from '../orchestration/apply-transition.js';
import { isFinal } from '../core/status.js';
import { startTriggerLoop, type TriggerScheduler } from '../triggers/scheduler.js';
import type { CancelRequest } from '../backends/cancel-signals.js';
import { cancelledError } from '../runtime/cancel.js';

/** Cancel requests for ids this runner does not hold (yet) are kept this long: the request may
 * overtake the claim that brings the invocation here. */
const EARLY_CANCEL_TTL_MS = 60_000;
/** At most this many such requests are kept (the oldest go first). */
const EARLY_CANCEL_MAX = 10_000;

export abstract class ClaimingRunner implements Runner {
  abstract readonly kind: string;
  readonly id: string;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  protected readonly inFlight = new Map<string, Promise<void>>();
  protected stopping = false;
  protected backends!: Backends;
  protected batcher!: TransitionBatcher;
  private heartbeat?: Heartbeat;
  private recovery?: RecoveryService;
  private reconciler?: OwnershipReconciler;
  private retention?: RetentionService;
  private outbox?: OutboxRelay;
  private loopDone?: Promise<void>;
  private cutGrace?: () => void;
  private triggers: TriggerScheduler | null = null;
  private readonly hold = new ProcessHold();
  /** Held invocations asked to stop: id -> reason. Their outcome is written as CANCELLED. */
  private readonly cancelled = new Map<string, string>();
  /** Requests for ids not held here, by arrival (see EARLY_CANCEL_TTL_MS). */
  private readonly early = new Map<string, { reason: string; at: number }>();
  private unsubscribeCancels?: () => void;
  /**
   * Started here, waiting for a slot (claimed ahead with [runner] prefetch): by id, in claim order
   * (a Map keeps insertion order), each with what untracks its heartbeat.
   */
  private readonly held = new Map<string, { rec: InvocationRecord; untrack?: () => void }>();

  constructor(
    protected readonly app: Runtime,
    protected readonly opts: RunnerOptions,
    idKind: string,
  ) {
    this.id = newRunnerId(idKind);
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Invocations this runner holds right now (running or waiting on others). */
  get busy(): number {
    return this.inFlight.size;
  }

  protected abstract get capacity(): Capacity;
  /**
   * Takes a slot for `rec` (already RUNNING) and runs it; resolves once its outcome is written. The
   * slot should be freed when the task ends, before the write: the write then goes out with the next claim.
   */
  protected abstract launch(rec: InvocationRecord): Promise<void>;
  /** Facts for the heartbeat (monitoring). */
  protected meta(): Record<string, unknown> {
    return { inFlight: this.inFlight.size };
  }
  /** Before the loop starts (spawn children, ...). */
  protected async prepare(): Promise<void> {}
  /** After the grace period: stop work that is still running (kill children); no outcome is written for it. */
  protected async abort(): Promise<void> {}
  /** Last step of stop(). */
  protected async release(): Promise<void> {}
  /**
   * A held invocation was cancelled: abort its ctx.signal and, if it has not ended within a grace
   * period, stop it where the runner can (kill its child). Its outcome is then written as CANCELLED.
   */
  protected stopWork(_id: string, _reason: string): void {}

  /** The cancel reason if `id` (held here) was asked to stop. */
  protected cancelReason(id: string): string | undefined {
    return this.cancelled.get(id);
  }

  private onCancelRequests(reqs: CancelRequest[]): void {
    const now = Date.now();
    for (const { id, reason } of reqs) {
      if (this.held.has(id)) {
        // It never starts: launchHeld writes it CANCELLED.
        this.cancelled.set(id, reason);
        continue;
      }
      if (this.inFlight.has(id)) {
        if (!this.cancelled.has(id)) {
          this.cancelled.set(id, reason);
          this.app.logger.info('invocation cancelled; stopping it', {
            runner: this.id,
            invocation: id,
            reason,
          });
          this.stopWork(id, reason);
        }
        continue;
      }
      this.early.delete(id);
      this.early.set(id, { reason, at: now });
    }
    for (const [id, e] of this.early) {
      if (this.early.size <= EARLY_CANCEL_MAX && e.at > now - EARLY_CANCEL_TTL_MS) {
        break;
      }
      this.early.delete(id);
    }
  }

  start(): Promise<this> {
    return this.hold.start(() => this.startUp());
  }

  private async startUp(): Promise<this> {
    this.backends = await this.app.backends();
    this.batcher = new TransitionBatcher(this.writer);
    await this.prepare();
    // One subscription per runner: cancel requests reach it on the backend's wake-up channel.
    this.unsubscribeCancels = this.backends.cancels.subscribe((reqs) =>
      this.onCancelRequests(reqs),
    );
    await this.backends.cancels.ready?.();
    // Triggers first: a bad cron in config fails the start before this runner says it is alive.
    this.triggers = await startTriggerLoop(this.app, this.backends);
    ({
      heartbeat: this.heartbeat,
      recovery: this.recovery,
      retention: this.retention,
      outbox: this.outbox,
    } = await startLiveness(this.app, this.backends, {
      id: this.id,
      kind: this.kind,
      meta: () => this.meta(),
    }));
    // Work the backend says this runner holds but it does not run (a lost write) is recovered.
    this.reconciler = new OwnershipReconciler({
      backends: this.backends,
      runnerId: this.id,
      intervalMs: this.app.config.runner.reconcile_interval_seconds * 1000,
      holds: (id) => this.inFlight.has(id) || this.held.has(id),
      cap: recoveryCapOf(this.app),
      logger: this.app.logger,
      onFailed: (recs) => this.app.notifyFinal(recs),
    });
    this.reconciler.start();
    if (this.opts.autorun !== false) {
      this.run();
    }
    return this;
  }

  health(): RunnerHealth {
    return { draining: this.stopping, lastBeatAt: this.heartbeat?.lastBeatAt };
  }

  run(): void {
    if (this.loopDone || this.stopping) {
      return;
    }
    this.loopDone = this.loop().catch((err) => {
      this.app.logger.error('runner loop failed', { runner: this.id, error: (err as Error).stack });
      void this.stop({ reason: 'its claim loop failed' });
    });
  }

  private async loop(): Promise<void> {
    const { broker, hot } = this.backends;
    const batch = this.app.config.runner.claim_batch_size;
    const prefetch = this.prefetch;
    while (!this.stopping) {
      this.launchHeld();
      // Claim when a slot is free and nothing waits here or, with prefetch, when what waits here is
      // down to half (every slot busy): the claim is then in flight while the rest starts.
      const claim = this.held.size ? this.held.size <= prefetch / 2 : this.capacity.claimable > 0;
      if (!claim) {
        await this.capacity.whenClaimable();
        continue;
      }
      if (this.stopping) {
        break;
      }
      // Tasks that finished in this turn queue their outcomes: let them, then write those with the
      // next claim (one round trip for both where the backend fuses them, hot-path.ts).
      this.batcher.hold(true);
      await new Promise((r) => setImmediate(r));
      const done = this.batcher.take();
      this.batcher.hold(false);
      const room = this.capacity.claimable + prefetch - this.held.size;
      const max = this.stopping ? 0 : Math.max(1, Math.min(room, Math.max(batch, prefetch)));
      let started: InvocationRecord[];
      if (done.length) {
        started = await this.launchingWhile(this.finishAndClaim(done, max));
        if (!started.length) {
          continue;
        }
      } else {
        if (this.stopping) {
          break;
        }
        // Claim + PENDING + RUNNING: one round trip where the backend fuses them.
        started = await this.launchingWhile(
          hot.claimAndStart(max, this.opts.once ? 100 : 1000, this.id),
        );
        if (started.length === 0) {
          if (
            this.opts.once &&
            this.inFlight.size === 0 &&
            this.held.size === 0 &&
            (await broker.count()) === 0
          ) {
            break;
          }
          continue;
        }
      }
      if (this.stopping) {
        await this.reroute(started.map((r) => r.id));
        break;
      }
      for (const rec of started) {
        this.keep(rec);
      }
    }
    if (!this.stopping) {
      void this.stop({ reason: 'queue drained (once)' });
    }
  }

  /**
   * Awaits the loop's claim while launching held invocations as slots free: with prefetch, a claim
   * goes out while work still waits here, and its round trip (a batch of outcomes and claims) must
   * not leave slots idle. Launching only from the loop left them idle for most of each claim (the
   * postgres bench's runner: 11 ms of every 14 ms).
   */
  private async launchingWhile<T>(claim: Promise<T>): Promise<T> {
    let settled = false;
    const answered = claim.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (this.held.size && !this.stopping) {
      await Promise.race([answered, this.capacity.whenClaimable()]);
      if (settled || this.stopping) {
        break;
      }
      this.launchHeld();
    }
    return claim;
  }

  /** Invocations claimed beyond the free slots ([runner] prefetch). */
  private get prefetch(): number {
    return this.opts.prefetch ?? this.app.config.runner.prefetch;
  }

  /**
   * Takes a started invocation into this runner's hands: it waits in `held` until the loop
   * launches it (at once when a slot is free). Held is held: its heartbeat is tracked and a cancel
   * request for it, one that came before it did too, marks it to be written CANCELLED unrun, so
   * neither recovery nor reconciliation takes it back.
   */
  private keep(rec: InvocationRecord): void {
    const early = this.early.get(rec.id);
    if (early) {
      this.early.delete(rec.id);
      this.cancelled.set(rec.id, early.reason);
    }
    this.held.set(rec.id, { rec, untrack: this.heartbeat?.track(rec.id, rec.taskId) });
  }

  /** At stop: held invocations never started go back to the queue at once (cancelled ones end CANCELLED). */
  private async giveBackHeld(): Promise<void> {
    const held = [...this.held.values()];
    this.held.clear();
    for (const h of held) {
      h.untrack?.();
    }
    const recs = held.map((h) => h.rec);
    await Promise.all(
      recs.filter((r) => this.cancelled.has(r.id)).map((r) => this.finishCancelled(r)),
    );
    await this.reroute(recs.filter((r) => !this.cancelled.has(r.id)).map((r) => r.id));
  }

  /** Launches held invocations, in claim order, while slots are free; cancelled or expired ones end CANCELLED unrun. */
  private launchHeld(): void {
    for (const [id, { rec, untrack }] of this.held) {
      if (this.capacity.claimable === 0) {
        return;
      }
      this.held.delete(id);
      if (this.app.logger.enabled('debug')) {
        this.app.logger.debug('task started', {
          invocation: id,
          task: rec.taskId,
          attempt: rec.attempt,
        });
      }
      const expired = this.cancelled.has(id) ? undefined : expiredReason(rec, Date.now());
      if (expired !== undefined) {
        this.cancelled.set(id, expired);
      }
      const ended = () => {
        this.inFlight.delete(id);
        this.reconciler?.letGo(id);
        this.cancelled.delete(id);
        untrack?.();
      };
      // One then() for both ways out (catch().finally() made two more promises per invocation).
      const p = (this.cancelled.has(id) ? this.finishCancelled(rec) : this.launch(rec)).then(
        ended,
        (err: unknown) => {
          ended();
          this.app.logger.error('invocation crashed in the runner', {
            invocation: id,
            error: (err as Error).stack,
          });
        },
      );
      this.inFlight.set(id, p);
    }
  }

  /** Outcome batches: a RETRY is written together with its queue entry (never one without the other). */
  private readonly writer: ChangeWriter = {
    transitionMany: (reqs, now) =>
      mayRoute(reqs)
        ? this.backends.hot.transitionAndRoute(reqs, now)
        : this.backends.orchestrator.transitionMany(reqs, now),
  };

  /** Writes outcomes taken from the batcher together with the next claim; answers their submitters. */
  private async finishAndClaim(done: PendingChange[], max: number): Promise<InvocationRecord[]> {
    let res: FinishAndClaim;
    try {
      res =
        max > 0
          ? await this.backends.hot.finishAndClaim(
              done.map((p) => p.req),
              max,
              this.id,
            )
          : {
              done: await this.writer.transitionMany(
                done.map((p) => p.req),
                Date.now(),
              ),
              started: [],
            };
    } catch (err) {
      TransitionBatcher.settle(done, err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    TransitionBatcher.settle(done, res.done);
    return res.started;
  }

  /** Hooks that free `slots` while the invocation waits for another one (PAUSED) and retake it after (RESUMED). */
  protected waitHooks(rec: InvocationRecord, slots: Slots): WaitHooks {
    return new SlotWaitHooks(this, rec.id, slots);
  }

  /**
   * Writes PAUSED or RESUMED. Bookkeeping: one that cannot be written (recovered elsewhere
   * meanwhile) is logged, never thrown into the task; its outcome write then finds who owns it now.
   */
  async recordWait(id: string, to: 'PAUSED' | 'RESUMED'): Promise<void> {
    try {
      await this.batcher.submit({ id, to, runnerId: this.id });
    } catch (err) {
      this.app.logger.warn('could not record wait', {
        invocation: id,
        status: to,
        error: (err as Error).message,
      });
    }
  }

  /** A held invocation asked to stop, whose work has ended (or never started): CANCELLED. */
  protected finishCancelled(rec: InvocationRecord): Promise<void> {
    const reason = this.cancelled.get(rec.id) ?? 'cancelled';
    return this.finish(rec, { to: 'FAILED', error: '' }, reason);
  }

  /**
   * Writes an attempt's outcome; a RETRY goes back to the broker (after its delay) in the same write.
   * An invocation cancelled while it ran ends CANCELLED, whatever the attempt returned.
   */
  protected async finish(
    rec: InvocationRecord,
    out: Outcome,
    cancelReason = this.cancelled.get(rec.id),
  ): Promise<void> {
    try {
      const done = await this.batcher.submit(
        cancelReason !== undefined
          ? {
              id: rec.id,
              to: 'CANCELLED',
              runnerId: this.id,
              error: cancelledError(this.app, rec.id, cancelReason),
            }
          : {
              id: rec.id,
              to: out.to,
              runnerId: this.id,
              ...(out.to === 'SUCCESS' ? { result: out.result } : { error: out.error }),
              ...(out.to === 'RETRY' ? { notBefore: Date.now() + out.delayMs } : {}),
            },
      );
      if (cancelReason !== undefined) {
        this.app.logger.info('invocation cancelled', { invocation: rec.id, task: rec.taskId });
        this.app.notifyFinal([done]);
        return;
      }
      if (isFinal(done.status)) {
        this.app.notifyFinal([done]);
      }
      this.logOutcome(rec, out);
    } catch (err) {
      // Lost ownership (recovered elsewhere, or rerouted at shutdown): the new owner decides.
      this.app.logger.warn('could not record outcome', {
        invocation: rec.id,
        status: out.to,
        error: (err as Error).message,
      });
      return;
    }
  }

  /** One line per attempt that failed (error) or will be retried (warn), with its error; successes at debug. */
  private logOutcome(rec: InvocationRecord, out: Outcome): void {
    if (out.to === 'SUCCESS' && !this.app.logger.enabled('debug')) {
      return;
    }
    const fields = { invocation: rec.id, task: rec.taskId, attempt: rec.attempt };
    if (out.to === 'SUCCESS') {
      this.app.logger.debug('task succeeded', fields);
    } else if (out.to === 'RETRY') {
      this.app.logger.warn('task failed; retrying', {
        ...fields,
        retryInMs: out.delayMs,
        error: errorSummary(out.error),
      });
    } else {
      this.app.logger.error('task failed', { ...fields, error: errorSummary(out.error) });
    }
  }

  /** Acts on how a guest ended an invocation: write the outcome, or rerun it elsewhere (recovery). */
  protected async settle(rec: InvocationRecord, d: Disposition): Promise<void> {
    if (d.kind !== 'drop' && this.cancelled.has(rec.id)) {
      // Its child was killed for the cancel, or it ended on its own after the request: CANCELLED
      // (from PAUSED too: no RESUMED first, the state machine allows it).
      await this.finishCancelled(rec);
      return;
    }
    if (d.kind === 'finish') {
      if (d.paused) {
        // PAUSED cannot go straight to FAILED or RETRY (status.ts): the timed-out wait ends first.
        await this.batcher.submit({ id: rec.id, to: 'RESUMED', runnerId: this.id }).catch(() => {});
      }
      await this.finish(rec, d.out);
    } else if (d.kind === 'recover') {
      const [cur] = await this.backends.state.getMany([rec.id]);
      if (cur && cur.owner === this.id) {
        const { failed } = await rerouteForRecovery(
          this.backends,
          [cur],
          this.id,
          recoveryCapOf(this.app),
        );
        this.app.notifyFinal(failed);
      }
    }
  }

  /** PENDING or RUNNING/PAUSED invocations this runner gives back to the queue (KILLED -> REROUTED). */
  protected async reroute(ids: string[]): Promise<void> {
    if (!ids.length) {
      return;
    }
    const recs = await this.backends.state.getMany(ids);
    const mine = recs.filter((r) => r.owner === this.id);
    // Held work passes through KILLED; each one's path and its queue entry are one write.
    await this.backends.hot.transitionAndRoute(
      mine.map((r) => ({
        id: r.id,
        to: 'REROUTED' as const,
        runnerId: this.id,
        ...(r.status !== 'PENDING' ? { via: ['KILLED' as const] } : {}),
      })),
      Date.now(),
    );
  }

  /** A second stop() with graceMs 0 (second signal) cuts the grace period short. */
  stop(opts: StopOptions = {}): Promise<void> {
    if (this.hold.stopping && opts.graceMs === 0) {
      this.cutGrace?.();
    }
    return this.hold.stop(() => this.doStop(opts));
  }

  private async doStop(opts: StopOptions): Promise<void> {
    this.stopping = true;
    this.app.logger.info('runner stopping', {
      runner: this.id,
      reason: opts.reason ?? 'stop() called',
    });
    // What it still holds is rerouted below; a pass now would race that.
    await this.reconciler?.stop();
    this.backends?.broker.interrupt();
    this.capacity.wakeAll();
    await this.loopDone;
    await this.giveBackHeld();
    const graceMs = opts.graceMs ?? this.app.config.runner.shutdown_grace_seconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inFlight.values()),
      new Promise<void>((r) => {
        this.cutGrace = r;
        timer = setTimeout(r, graceMs);
      }),
    ]);
    clearTimeout(timer);
    const left = [...this.inFlight.keys()];
    // Cancels are heard through the grace period: work cancelled then ends CANCELLED, not rerouted.
    this.unsubscribeCancels?.();
    await this.abort();
    if (left.length) {
      await this.reroute(left);
    }
    await this.recovery?.stop();
    await this.retention?.stop();
    await this.outbox?.stop();
    await this.triggers?.stop();
    await this.release();
    await this.heartbeat?.stop().catch(() => {});
    this.resolveDone();
  }
}

/** "Name: message" of a stored (serialized) task error, for a log line. */
function errorSummary(stored: string): string {
  try {
    const e = JSON.parse(stored) as { name?: unknown; message?: unknown };
    if (typeof e?.message === 'string') {
      return typeof e.name === 'string' ? `${e.name}: ${e.message}` : e.message;
    }
  } catch {
    /* not JSON: shown as stored */
  }
  return stored.length > 500 ? `${stored.slice(0, 500)}...` : stored;
}

/**
 * Why a claimed invocation must not run: its call's `expiresAt` has passed before its first start
 * (a retry or a recovery rerun of work already started is not expired). Undefined: run it.
 */
export function expiredReason(rec: InvocationRecord, now: number): string | undefined {
  const at = rec.callOptions?.expiresAt;
  if (at === undefined || now <= at || rec.attempt > 1) {
    return undefined;
  }
  return `expired: not started by ${new Date(at).toISOString()} (its call's expiresAt)`;
}

/**
 * An attempt's wait hooks: its slot is freed while it waits for another invocation (PAUSED) and
 * taken again after (RESUMED). One object per attempt, its methods shared (most tasks never wait).
 */
class SlotWaitHooks implements WaitHooks {
  constructor(
    private readonly runner: Pick<ClaimingRunner, 'recordWait'>,
    private readonly id: string,
    private readonly slots: Slots,
  ) {}

  async pause(): Promise<void> {
    await this.runner.recordWait(this.id, 'PAUSED');
    this.slots.release();
  }

  async resume(): Promise<void> {
    await this.slots.acquire();
    await this.runner.recordWait(this.id, 'RESUMED');
  }
}
