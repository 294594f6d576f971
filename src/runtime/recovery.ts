/**
 * Recovery: work held by a runner that stopped heartbeating (or PENDING for too long) goes back to
 * the broker through the recovery statuses, so no invocation is lost when a process dies.
 * `recoverOnce` is one pass (`taskapp recover`); RecoveryService runs passes on every runner, one
 * runner at a time across the cluster (a lease).
 */
import type { Backends } from '../backends/registry.js';
import type { InvocationRecord, RouteRequest } from '../core/records.js';
import type { Status } from '../core/status.js';
import type { TaskappConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';

type RecoveryBackends = Pick<Backends, 'state' | 'orchestrator' | 'broker' | 'hot'>;
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
}

/**
 * Sends `recs` back to the broker: PENDING through PENDING_RECOVERY, held work through
 * RUNNING_RECOVERY, then REROUTED. Records that moved on meanwhile (finished, already recovered)
 * are skipped: each change is validated on its own. Returns the rerouted records.
 */
export async function rerouteForRecovery(
  b: RecoveryBackends,
  recs: InvocationRecord[],
  runnerId: string | null,
): Promise<InvocationRecord[]> {
  if (!recs.length) {
    return [];
  }
  // Through the recovery status to REROUTED with its queue entry: one write per invocation.
  const reqs: RouteRequest[] = recs.map((r) => ({
    id: r.id,
    to: 'REROUTED',
    via: [r.status === 'PENDING' ? 'PENDING_RECOVERY' : 'RUNNING_RECOVERY'],
    runnerId,
  }));
  return (await b.hot.transitionAndRoute(reqs, Date.now())).filter(
    (r): r is InvocationRecord => !(r instanceof Error),
  );
}

/** Invocations requeued by one pass at most; the next pass takes the rest. */
const STRANDED_PER_PASS = 1000;
const DEFAULT_STRANDED_AFTER_SECONDS = 30;

/** When each backend was last looked at for stranded invocations (by this process). */
const lastStrandedCheck = new WeakMap<object, number>();

/**
 * The stranded check reads every invocation waiting longer than the grace period (an index range,
 * and the queue once): a few times per grace period is enough, not every recovery pass.
 */
function strandedCheckDue(
  b: Pick<Backends, 'hot'>,
  cfg: Pick<RecoveryConfig, 'stranded_after_seconds'>,
  now: number,
): boolean {
  const everyMs = ((cfg.stranded_after_seconds ?? DEFAULT_STRANDED_AFTER_SECONDS) * 1000) / 4;
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

/** One recovery pass over the whole backend. `runnerId` is who performs it (history). */
export async function recoverOnce(
  b: RecoveryBackends,
  cfg: RecoveryConfig,
  runnerId: string | null = null,
  now = Date.now(),
): Promise<RecoveryReport> {
  const runners = await b.state.runners();
  const deadBefore = now - cfg.runner_dead_after_seconds * 1000;
  const live = runners.filter((r) => r.heartbeatAt >= deadBefore).map((r) => r.id);
  const deadRunners = runners.filter((r) => r.heartbeatAt < deadBefore).map((r) => r.id);
  // Owned by anyone not alive: dead runners, and runners whose row is already gone.
  const held = await b.orchestrator.ownedByOthers(live, HELD_STATUSES);
  const orphanPending = await b.orchestrator.ownedByOthers(live, ['PENDING']);
  const stalePending = await b.orchestrator.staleIn(
    'PENDING',
    now - cfg.max_pending_seconds * 1000,
  );
  const pendingById = new Map([...orphanPending, ...stalePending].map((r) => [r.id, r]));
  const running = await rerouteForRecovery(b, held, runnerId);
  const pending = await rerouteForRecovery(b, [...pendingById.values()], runnerId);
  for (const id of deadRunners) {
    await b.state.removeRunner(id);
  }
  const stranded = strandedCheckDue(b, cfg, now) ? await requeueStranded(b, cfg, now) : [];
  return {
    deadRunners,
    running: running.map((r) => r.id),
    pending: pending.map((r) => r.id),
    stranded: stranded.map((r) => r.id),
  };
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
    try {
      const ttl = this.cfg.recovery_check_interval_seconds * 2000;
      if (!(await this.b.orchestrator.tryLease('recovery', this.runnerId, ttl, Date.now()))) {
        return;
      }
      const r = await recoverOnce(this.b, this.cfg, this.runnerId);
      if (r.deadRunners.length || r.running.length || r.pending.length || r.stranded.length) {
        this.logger.warn('recovered work', {
          runner: this.runnerId,
          deadRunners: r.deadRunners,
          running: r.running.length,
          pending: r.pending.length,
          stranded: r.stranded,
        });
      }
    } catch (err) {
      this.logger.warn('recovery pass failed', {
        runner: this.runnerId,
        error: (err as Error).message,
      });
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
