/**
 * Recovery: work held by a runner that stopped heartbeating (or PENDING for too long) goes back to
 * the broker through the recovery statuses, so no invocation is lost when a process dies.
 * `recoverOnce` is one pass (`taskapp recover`); RecoveryService runs passes on every runner, one
 * runner at a time across the cluster (a lease).
 */
import type { Backends } from '../backends/registry.js';
import { RecoveryLimitError } from '../core/errors.js';
import type { InvocationRecord, RouteRequest, TransitionRequest } from '../core/records.js';
import type { Status } from '../core/status.js';
import type { TaskappConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import { serverNow } from '../orchestration/server-clock.js';
import { traceRecovery, tracingOn } from './tracing.js';

type RecoveryBackends = Pick<Backends, 'state' | 'orchestrator' | 'broker' | 'hot'> &
  /** With it, recovery moves of traced invocations are added to their traces. */
  Partial<Pick<Backends, 'data'>>;
type RecoveryConfig = Pick<
  TaskappConfig['runner'],
  'runner_dead_after_seconds' | 'max_pending_seconds'
> &
  Partial<Pick<TaskappConfig['runner'], 'stranded_after_seconds'>>;

export const HELD_STATUSES: Status[] = ['RUNNING', 'PAUSED', 'RESUMED'];

export interface RecoveryReport {
  /** Runner ids whose heartbeat was too old; their rows are removed. */
  deadRunners: string[];
  /** Invocations moved RUNNING_RECOVERY -> REROUTED (a dead runner's RUNNING/PAUSED/RESUMED work). */
  running: string[];
  /** Invocations moved PENDING_RECOVERY -> REROUTED (a dead runner's PENDING, or PENDING too long). */
  pending: string[];
  /** Invocations found waiting (REGISTERED, REROUTED, RETRY) with no queue entry, routed again. */
  stranded: string[];
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
  const overLimit = cap ? await recoveredTooOften(b, recs, cap) : new Map<string, number>();
  const now = Date.now();
  const viaOf = (r: InvocationRecord) =>
    r.status === 'PENDING' ? ('PENDING_RECOVERY' as const) : ('RUNNING_RECOVERY' as const);
  // Each path is one atomic write: through the recovery status to REROUTED with its queue entry,
  // or (recovered too often) to FAILED, so a crash mid-recovery leaves nothing in between.
  const reroute: RouteRequest[] = recs
    .filter((r) => !overLimit.has(r.id))
    .map((r) => ({ id: r.id, to: 'REROUTED', via: [viaOf(r)], runnerId }));
  const fail: TransitionRequest[] = recs
    .filter((r) => overLimit.has(r.id))
    .map((r) => ({
      id: r.id,
      to: 'FAILED',
      via: [viaOf(r)],
      runnerId,
      error: cap!.serializeError(new RecoveryLimitError(r.id, overLimit.get(r.id)!, cap!.max)),
    }));
  const ok = (r: InvocationRecord | Error): r is InvocationRecord => !(r instanceof Error);
  const rerouted = reroute.length ? (await b.hot.transitionAndRoute(reroute, now)).filter(ok) : [];
  const failed = fail.length ? (await b.orchestrator.transitionMany(fail, now)).filter(ok) : [];
  if (b.data && tracingOn()) {
    const byId = new Map(recs.map((r) => [r.id, r]));
    const moves = [...rerouted, ...failed].map((r) => ({
      id: r.id,
      taskId: r.taskId,
      via: viaOf(byId.get(r.id) ?? r),
      to: r.status,
    }));
    await traceRecovery(b.data, moves, runnerId).catch(() => {});
  }
  return { rerouted, failed };
}

/** Invocations requeued by one pass at most; the next pass takes the rest. */
const STRANDED_PER_PASS = 1000;
const DEFAULT_STRANDED_AFTER_SECONDS = 30;

/** When each backend was last looked at for stranded invocations (by this process). */
const lastStrandedCheck = new WeakMap<object, number>();

/**
 * The stranded check reads every waiting invocation (on PostgreSQL a scan of the table, which has no
 * status index so that status changes stay HOT) and the queue: once per grace period is enough,
 * not every recovery pass.
 */
function strandedCheckDue(
  b: Pick<Backends, 'hot'>,
  cfg: Pick<RecoveryConfig, 'stranded_after_seconds'>,
  now: number,
): boolean {
  const everyMs = (cfg.stranded_after_seconds ?? DEFAULT_STRANDED_AFTER_SECONDS) * 1000;
  const last = lastStrandedCheck.get(b.hot);
  if (last !== undefined && now - last < everyMs && now >= last) {
    return false;
  }
  lastStrandedCheck.set(b.hot, now);
  return true;
}

/**
 * Routes again invocations waiting in a queued status with no queue entry, unchanged for
 * `stranded_after_seconds`: their writer died between a status write and its queue write (only
 * possible where broker and state are different servers, or in data written before atomic
 * routing), or a claimer died between claim and acquire. The grace period keeps it off work a live
 * producer is between its two writes on.
 */
export async function requeueStranded(
  b: Pick<Backends, 'hot'>,
  cfg: Pick<RecoveryConfig, 'stranded_after_seconds'>,
  now = Date.now(),
): Promise<InvocationRecord[]> {
  const graceMs = (cfg.stranded_after_seconds ?? DEFAULT_STRANDED_AFTER_SECONDS) * 1000;
  return b.hot.requeueStranded(now - graceMs, now, STRANDED_PER_PASS);
}

/** Held work already recovered `cap.max` times or more -> how many times it was. */
async function recoveredTooOften(
  b: RecoveryBackends,
  recs: InvocationRecord[],
  cap: RecoveryCap,
): Promise<Map<string, number>> {
  const held = recs.filter((r) => r.status !== 'PENDING').map((r) => r.id);
  const out = new Map<string, number>();
  if (!held.length) {
    return out;
  }
  const histories = await b.state.historyMany(held);
  for (const id of held) {
    const earlier = (histories[id] ?? []).filter((h) => h.status === 'RUNNING_RECOVERY').length;
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
    return { deadRunners: [], running: [], pending: [], failed: [], stranded: [] };
  }
  const isDead = (r: { id: string; heartbeatAt: number }) =>
    r.heartbeatAt < deadBefore && r.id !== runnerId;
  const live = runners.filter((r) => !isDead(r)).map((r) => r.id);
  if (runnerId !== null && !live.includes(runnerId)) {
    live.push(runnerId);
  }
  const deadRunners = runners.filter(isDead).map((r) => r.id);
  // Owned by anyone not alive: dead runners, and runners whose row is already gone.
  // One read for both kinds (on postgres it also prunes the dead owners' empty owned_sets rows).
  const orphans = await b.orchestrator.ownedByOthers(live, [...HELD_STATUSES, 'PENDING']);
  const held = orphans.filter((r) => r.status !== 'PENDING');
  const orphanPending = orphans.filter((r) => r.status === 'PENDING');
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
  const stranded = strandedCheckDue(b, cfg, now) ? await requeueStranded(b, cfg, now) : [];
  return {
    deadRunners,
    running: running.rerouted.map((r) => r.id),
    pending: pending.rerouted.map((r) => r.id),
    failed: [...running.failed, ...pending.failed].map((r) => r.id),
    stranded: stranded.map((r) => r.id),
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
    private readonly backends: RecoveryBackends,
    private readonly cfg: RecoveryConfig & { recovery_check_interval_seconds: number },
    private readonly runnerId: string,
    private readonly logger: Logger,
    private readonly opts: RecoveryServiceOptions = {},
  ) {}

  start(): void {
    // A starting runner does not look for stranded work at once: nothing waits less than the grace
    // period to be eligible, and on PostgreSQL the look reads the whole table.
    if (!lastStrandedCheck.has(this.backends.hot)) {
      lastStrandedCheck.set(this.backends.hot, Date.now());
    }
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
      if (
        !(await this.backends.orchestrator.tryLease('recovery', this.runnerId, ttl, Date.now()))
      ) {
        return;
      }
      const r = await recoverOnce(this.backends, this.cfg, this.runnerId, Date.now(), {
        cap: this.opts.cap,
        inContact: () => this.inSteadyContact(),
        onFailed: this.opts.onFailed,
      });
      if (
        r.deadRunners.length ||
        r.running.length ||
        r.pending.length ||
        r.failed.length ||
        r.stranded.length
      ) {
        this.logger.warn('recovered work', {
          runner: this.runnerId,
          deadRunners: r.deadRunners,
          running: r.running.length,
          pending: r.pending.length,
          stranded: r.stranded,
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
