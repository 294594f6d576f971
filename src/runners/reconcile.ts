/**
 * Ownership reconciliation: what the backend says a live runner holds, against what it runs.
 *
 * A write the backend lost (a Redis failover with asynchronous replication, a Redis restarted
 * without AOF, a restored backup) or an outcome write that failed can leave an invocation recorded
 * as held by a live runner that is not running it: one it finished rolled back to RUNNING, or one
 * it never got. Heartbeat recovery only looks at dead runners' work, so such an invocation would
 * stay RUNNING forever. Each runner therefore asks the backend, once per interval (one query), what
 * it owns, and hands what it does not hold to the recovery path of dead runners' work (a rerun, as
 * BullMQ's stalled-job check does; `max_recoveries` applies).
 */
import type { Backends } from '../backends/registry.js';
import type { Logger } from '../core/logger.js';
import type { InvocationRecord } from '../core/records.js';
import { OWNED_STATUSES } from '../core/status.js';
import { rerouteForRecovery, type RecoveryCap } from '../runtime/recovery.js';

const OWNED_LIST = [...OWNED_STATUSES];

export interface ReconcilerOptions {
  backends: Pick<Backends, 'state' | 'orchestrator' | 'broker' | 'hot'> &
    Partial<Pick<Backends, 'data'>>;
  runnerId: string;
  /** `[runner] reconcile_interval_seconds`, in ms: the pass period and the grace period. */
  intervalMs: number;
  /** True while the runner holds `id` (claimed and not yet let go of: running, waiting, finishing). */
  holds: (id: string) => boolean;
  cap: RecoveryCap;
  logger: Logger;
  /** Told of invocations the cap ended FAILED (final-status triggers run where a final is written). */
  onFailed: (recs: InvocationRecord[]) => void;
}

export class OwnershipReconciler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Ids the runner let go of while a pass was under way: the pass may have read them still held. */
  private readonly released = new Set<string>();
  private inPass = false;

  constructor(private readonly o: ReconcilerOptions) {}

  /** The runner let go of `id` (its outcome written, or given up on). */
  letGo(id: string): void {
    if (this.inPass) {
      this.released.add(id);
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) {
        this.running = this.tick().finally(() => {
          this.running = undefined;
        });
      }
    }, this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      const { rerouted, failed } = await this.reconcileOnce();
      if (rerouted.length || failed.length) {
        this.o.logger.warn(
          'recovered work the backend records as held by this runner, which is not running it (a lost write)',
          {
            runner: this.o.runnerId,
            rerouted: rerouted.map((r) => r.id),
            ...(failed.length ? { failedAtRecoveryLimit: failed.map((r) => r.id) } : {}),
          },
        );
      }
    } catch (err) {
      this.o.logger.warn('ownership reconciliation failed', {
        runner: this.o.runnerId,
        error: (err as Error).message,
      });
    }
  }

  /**
   * One pass. Only records unchanged for one interval are orphans: a claim whose answer has not
   * reached the runner yet is recent, and an outcome written while the query ran is in `released`.
   * A record that moved on meanwhile is skipped by the recovery write itself (each change validated).
   */
  async reconcileOnce(now = Date.now()): Promise<{
    rerouted: InvocationRecord[];
    failed: InvocationRecord[];
  }> {
    this.inPass = true;
    try {
      const owned = await this.o.backends.orchestrator.ownedBy(this.o.runnerId, OWNED_LIST);
      const before = now - this.o.intervalMs;
      const orphans = owned.filter(
        (r) => r.updatedAt < before && !this.o.holds(r.id) && !this.released.has(r.id),
      );
      const res = await rerouteForRecovery(this.o.backends, orphans, this.o.runnerId, this.o.cap);
      this.o.onFailed(res.failed);
      return res;
    } finally {
      this.inPass = false;
      this.released.clear();
    }
  }
}
