/**
 * Recovery: work held by a runner that stopped heartbeating (or PENDING for too long) goes back to
 * the broker through the recovery statuses, so no invocation is lost when a process dies.
 * `recoverOnce` is one pass (`taskapp recover`); RecoveryService runs passes on every runner, one
 * runner at a time across the cluster (a lease).
 */
import type { Backends } from '../backends/registry.js';
import { RecoveryLimitError } from '../core/errors.js';
import type { InvocationRecord, TransitionRequest } from '../core/records.js';
import type { Status } from '../core/status.js';
import type { TaskappConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { serverNow } from './server-clock.js';

type RecoveryBackends = Pick<Backends, 'state' | 'orchestrator' | 'broker'>;
type RecoveryConfig = Pick<
  TaskappConfig['runner'],
  'runner_dead_after_seconds' | 'max_pending_seconds'
>;

export const HELD_STATUSES: Status[] = ['RUNNING', 'PAUSED', 'RESUMED'];

export interface RecoveryReport {
  /** Runner ids whose heartbeat was too old; their rows are removed. */
  deadRunners: string[];
  /** Invocations moved RUNNING_RECOVERY -> REROUTED (a dead runner's RUNNING/PAUSED/RESUMED work). */
  running: string[];
  /** Invocations moved PENDING_RECOVERY -> REROUTED (a dead runner's PENDING, or PENDING too long). */
  pending: string[];
  /** Invocations moved RUNNING_RECOVERY -> FAILED: recovered `max_recoveries` times already. */
  failed: string[];
}

/** Ends an invocation recovered too often (runner.max_recoveries) instead of rerunning it. */
export interface RecoveryCap {
  max: number;
  /** The error as stored (the app's serializer). */
  serializeError(err: Error): string;
}

/** The cap from an app: its `runner.max_recoveries` and its error serializer. */
export function recoveryCapOf<S>(app: {
  config: { runner: { max_recoveries: number } };
  errors: { serialize(err: unknown, serializer: S): string };
  serializer: S;
}): RecoveryCap {
  return {
    max: app.config.runner.max_recoveries,
    serializeError: (err) => app.errors.serialize(err, app.serializer),
  };
}

export interface RecoveryResult {
  /** Back in the queue (REROUTED). */
  rerouted: InvocationRecord[];
  /** Ended FAILED with RecoveryLimitError. */
  failed: InvocationRecord[];
}

/**
 * Sends `recs` back to the broker: PENDING through PENDING_RECOVERY, held work through
 * RUNNING_RECOVERY, then REROUTED. Records that moved on meanwhile (finished, already recovered)
 * are skipped: each change is validated on its own. With a `cap`, held work already recovered
 * `cap.max` times goes RUNNING_RECOVERY -> FAILED (RecoveryLimitError) instead.
 */
export async function rerouteForRecovery(
  b: RecoveryBackends,
  recs: InvocationRecord[],
  runnerId: string | null,
  cap?: RecoveryCap,
): Promise<RecoveryResult> {
  if (!recs.length) {
    return { rerouted: [], failed: [] };
  }
  const now = Date.now();
  const first: TransitionRequest[] = recs.map((r) => ({
    id: r.id,
    to: r.status === 'PENDING' ? 'PENDING_RECOVERY' : 'RUNNING_RECOVERY',
    runnerId,
  }));
  const moved = (await b.orchestrator.transitionMany(first, now)).filter(
    (r): r is InvocationRecord => !(r instanceof Error),
  );
  const overLimit = cap ? await recoveredTooOften(b, moved, cap) : new Map<string, number>();
  const next = await b.orchestrator.transitionMany(
    moved.map((r): TransitionRequest => {
      const times = overLimit.get(r.id);
      return times === undefined
        ? { id: r.id, to: 'REROUTED', runnerId }
        : {
            id: r.id,
            to: 'FAILED',
            runnerId,
            error: cap!.serializeError(new RecoveryLimitError(r.id, times, cap!.max)),
          };
    }),
    now,
  );
  const done = next.filter((r): r is InvocationRecord => !(r instanceof Error));
  const rerouted = done.filter((r) => r.status === 'REROUTED');
  await b.broker.route(rerouted.map((r) => ({ id: r.id, priority: r.priority })));
  return { rerouted, failed: done.filter((r) => r.status === 'FAILED') };
}

/** Held work (now RUNNING_RECOVERY) recovered more than `cap.max` times -> its earlier recoveries. */
async function recoveredTooOften(
  b: RecoveryBackends,
  moved: InvocationRecord[],
  cap: RecoveryCap,
): Promise<Map<string, number>> {
  const held = moved.filter((r) => r.status === 'RUNNING_RECOVERY').map((r) => r.id);
  const out = new Map<string, number>();
  if (!held.length) {
    return out;
  }
  const histories = await b.state.historyMany(held);
  for (const id of held) {
    // The entry just written counts too: `earlier` reruns happened before this one.
    const earlier = (histories[id] ?? []).filter((h) => h.status === 'RUNNING_RECOVERY').length - 1;
    if (earlier >= cap.max) {
      out.set(id, earlier);
    }
  }
  return out;
}

/**
 * One recovery pass over the whole backend. `runnerId` is who performs it (history); it never counts
 * itself dead. Heartbeat ages are measured on the backend's clock (postgres now(), redis TIME; the
 * local clock for sqlite and memory, one host), so clock skew between hosts cannot kill a runner.
 */
export async function recoverOnce(
  b: RecoveryBackends,
  cfg: RecoveryConfig,
  runnerId: string | null = null,
  now = Date.now(),
  opts: RecoveryPassOptions = {},
): Promise<RecoveryReport> {
  const { cap } = opts;
  const runners = await b.state.runners();
  const deadBefore = (await serverNow(b.state, now)) - cfg.runner_dead_after_seconds * 1000;
  if (opts.inContact && !opts.inContact()) {
    // Contact was lost while this pass read the heartbeats: their age proves nothing.
    return { deadRunners: [], running: [], pending: [], failed: [] };
  }
  const isDead = (r: { id: string; heartbeatAt: number }) =>
    r.heartbeatAt < deadBefore && r.id !== runnerId;
  const live = runners.filter((r) => !isDead(r)).map((r) => r.id);
  if (runnerId !== null && !live.includes(runnerId)) {
    live.push(runnerId);
  }
  const deadRunners = runners.filter(isDead).map((r) => r.id);
  // Owned by anyone not alive: dead runners, and runners whose row is already gone.
  const held = await b.orchestrator.ownedByOthers(live, HELD_STATUSES);
  const orphanPending = await b.orchestrator.ownedByOthers(live, ['PENDING']);
  const stalePending = await b.orchestrator.staleIn(
    'PENDING',
    now - cfg.max_pending_seconds * 1000,
  );
  const pendingById = new Map([...orphanPending, ...stalePending].map((r) => [r.id, r]));
  const running = await rerouteForRecovery(b, held, runnerId, cap);
  const pending = await rerouteForRecovery(b, [...pendingById.values()], runnerId, cap);
  for (const id of deadRunners) {
    await b.state.removeRunner(id);
  }
  opts.onFailed?.([...running.failed, ...pending.failed]);
  return {
    deadRunners,
    running: running.rerouted.map((r) => r.id),
    pending: pending.rerouted.map((r) => r.id),
    failed: [...running.failed, ...pending.failed].map((r) => r.id),
  };
}

export interface RecoveryPassOptions {
  cap?: RecoveryCap;
  /** Asked after the heartbeats are read: false, and the pass declares no one dead. */
  inContact?: () => boolean;
  /** Told of invocations the cap ended FAILED (final-status triggers run where a final is written). */
  onFailed?: (recs: InvocationRecord[]) => void;
}

/**
 * Runs recoverOnce every `recovery_check_interval_seconds` while this runner holds the "recovery"
 * lease; the lease outlives two intervals, so when its holder dies another runner takes over well
 * before the dead runner's own work is due for recovery.
 */
export class RecoveryService {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly b: RecoveryBackends,
    private readonly cfg: RecoveryConfig & { recovery_check_interval_seconds: number },
    private readonly runnerId: string,
    private readonly logger: Logger,
    private readonly opts: RecoveryServiceOptions = {},
  ) {}

  start(): void {
    const ms = this.cfg.recovery_check_interval_seconds * 1000;
    this.timer = setInterval(() => {
      if (!this.running) {
        this.running = this.tick().finally(() => {
          this.running = undefined;
        });
      }
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (!this.inSteadyContact()) {
      return;
    }
    try {
      const ttl = this.cfg.recovery_check_interval_seconds * 2000;
      if (!(await this.b.orchestrator.tryLease('recovery', this.runnerId, ttl, Date.now()))) {
        return;
      }
      const r = await recoverOnce(this.b, this.cfg, this.runnerId, Date.now(), {
        cap: this.opts.cap,
        inContact: () => this.inSteadyContact(),
        onFailed: this.opts.onFailed,
      });
      if (r.deadRunners.length || r.running.length || r.pending.length || r.failed.length) {
        this.logger.warn('recovered work', {
          runner: this.runnerId,
          deadRunners: r.deadRunners,
          running: r.running.length,
          pending: r.pending.length,
          ...(r.failed.length ? { failedAtRecoveryLimit: r.failed } : {}),
        });
      }
    } catch (err) {
      this.logger.warn('recovery pass failed', {
        runner: this.runnerId,
        error: (err as Error).message,
      });
    }
  }

  /**
   * Silence is evidence of death only if this runner could have heard the others: after an outage
   * (or a blocked event loop) nobody could beat, so it waits one dead-after period of unbroken
   * contact, in which every live runner beats again, before it declares anyone dead.
   */
  private inSteadyContact(): boolean {
    const contact = this.opts.contactMs?.();
    return contact === undefined || contact >= this.cfg.runner_dead_after_seconds * 1000;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

export interface RecoveryServiceOptions {
  cap?: RecoveryCap;
  onFailed?: (recs: InvocationRecord[]) => void;
  /** How long this runner has been in unbroken contact with the backend (its heartbeat's view). */
  contactMs?: () => number;
}
