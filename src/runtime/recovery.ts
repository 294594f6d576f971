/**
 * Recovery: work held by a runner that stopped heartbeating (or PENDING for too long) goes back to
 * the broker through the recovery statuses, so no invocation is lost when a process dies.
 * `recoverOnce` is one pass (`taskapp recover`); RecoveryService runs passes on every runner, one
 * runner at a time across the cluster (a lease).
 */
import type { Backends } from '../backends/registry.js';
import type { InvocationRecord, TransitionRequest } from '../core/records.js';
import type { Status } from '../core/status.js';
import type { TaskappConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';

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
  const now = Date.now();
  const first: TransitionRequest[] = recs.map((r) => ({
    id: r.id,
    to: r.status === 'PENDING' ? 'PENDING_RECOVERY' : 'RUNNING_RECOVERY',
    runnerId,
  }));
  const moved = (await b.orchestrator.transitionMany(first, now)).filter(
    (r): r is InvocationRecord => !(r instanceof Error),
  );
  const rerouted = (
    await b.orchestrator.transitionMany(
      moved.map((r) => ({ id: r.id, to: 'REROUTED' as const, runnerId })),
      now,
    )
  ).filter((r): r is InvocationRecord => !(r instanceof Error));
  await b.broker.route(rerouted.map((r) => ({ id: r.id, priority: r.priority })));
  return rerouted;
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
  return { deadRunners, running: running.map((r) => r.id), pending: pending.map((r) => r.id) };
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
      if (r.deadRunners.length || r.running.length || r.pending.length) {
        this.logger.warn('recovered work', {
          runner: this.runnerId,
          deadRunners: r.deadRunners,
          running: r.running.length,
          pending: r.pending.length,
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
