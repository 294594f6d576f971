/**
 * Retention: finished invocations older than `[retention] finished` (or a task's own `retention`)
 * are deleted by the runners, with their history, logs and unreferenced blobs, through purge
 * (purge.ts) in bounded batches with a pause between two. One runner at a time across the cluster
 * does it: the holder of the `retention` lease, renewed before each batch.
 */
import { parseDuration } from '../core/duration.js';
import type { Logger } from '../core/logger.js';
import type { PurgeScope } from '../backends/orchestrator.js';
import { purgeInvocations } from './purge.js';
import type { Runtime } from './runtime.js';

/** One retention rule: invocations of these tasks finished more than `ms` ago go. */
export interface RetentionRule {
  ms: number;
  scope: Omit<PurgeScope, 'limit'>;
}

const msOf = (d: string): number => {
  const p = parseDuration(d);
  // The config schema validated it; a bad one here would be a bug, so keep everything.
  return p.ok ? p.ms : Infinity;
};

/**
 * The rules of an app: one per task with its own `retention`, and `[retention] finished` for every
 * other task (tasks this process does not know fall under it too). Empty: nothing is deleted.
 */
export function retentionRules(app: Runtime): RetentionRule[] {
  const own = app.taskIds().flatMap((id) => {
    const r = app.getTask(id)?.options.retention;
    return r ? [{ id, ms: msOf(r) }] : [];
  });
  const rules: RetentionRule[] = own.map(({ id, ms }) => ({ ms, scope: { taskIds: [id] } }));
  const finished = app.config.retention.finished;
  if (finished) {
    rules.push({ ms: msOf(finished), scope: { exceptTaskIds: own.map((o) => o.id) } });
  }
  return rules;
}

export interface RetentionReport {
  purged: number;
  blobsDeleted: number;
}

/** One retention pass at `now` (every rule, in batches); `keepGoing` is asked between batches. */
export async function retentionOnce(
  app: Runtime,
  now: number,
  keepGoing?: () => boolean | Promise<boolean>,
): Promise<RetentionReport> {
  const cfg = app.config.retention;
  const out: RetentionReport = { purged: 0, blobsDeleted: 0 };
  for (const rule of retentionRules(app)) {
    if (!Number.isFinite(rule.ms) || (keepGoing && !(await keepGoing()))) {
      continue;
    }
    const r = await purgeInvocations(app, now - rule.ms, {
      batchSize: cfg.batch_size,
      pauseMs: cfg.batch_pause_ms,
      scope: rule.scope,
      keepGoing,
    });
    out.purged += r.purged;
    out.blobsDeleted += r.blobsDeleted;
  }
  return out;
}

/** Runs retention passes on a runner every `check_interval_seconds` while it holds the lease. */
export class RetentionService {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly app: Runtime,
    private readonly runnerId: string,
    private readonly logger: Logger,
  ) {}

  /** Starts nothing when no rule applies (no `[retention] finished`, no task `retention`). */
  start(): void {
    if (!retentionRules(this.app).length) {
      return;
    }
    this.timer = setInterval(() => {
      if (!this.running) {
        this.running = this.tick().finally(() => {
          this.running = undefined;
        });
      }
    }, this.app.config.retention.check_interval_seconds * 1000);
    this.timer.unref();
  }

  /** One pass if this runner gets the lease (exported for tests through `retentionOnce`). */
  private async tick(): Promise<void> {
    try {
      const { orchestrator } = await this.app.backends();
      const ttl = this.app.config.retention.check_interval_seconds * 2000;
      const lease = () =>
        !this.stopped && orchestrator.tryLease('retention', this.runnerId, ttl, Date.now());
      if (!(await lease())) {
        return;
      }
      const r = await retentionOnce(this.app, Date.now(), lease);
      if (r.purged) {
        this.app.events.emit({ type: 'retention', purged: r.purged, blobsDeleted: r.blobsDeleted });
        this.logger.info('retention deleted finished invocations', {
          runner: this.runnerId,
          purged: r.purged,
          blobsDeleted: r.blobsDeleted,
        });
      }
    } catch (err) {
      this.logger.warn('retention pass failed', {
        runner: this.runnerId,
        error: (err as Error).message,
      });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
