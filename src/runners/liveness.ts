/**
 * A runner's liveness, the same for every runner kind: its heartbeat (from a worker thread, see
 * heartbeat.ts), the recovery service that reruns dead runners' work while this runner is in
 * steady contact with the backend, and retention.
 */
import type { Backends } from '../backends/registry.js';
import { RecoveryService, recoveryCapOf } from '../runtime/recovery.js';
import type { Runtime } from '../runtime/runtime.js';
import { RetentionService } from '../runtime/retention.js';
import { OutboxRelay } from '../runtime/outbox.js';
import { declareSqlTasks } from '../runtime/tx-enqueue.js';
import { Heartbeat } from './heartbeat.js';

export interface Liveness {
  heartbeat: Heartbeat;
  recovery: RecoveryService;
  /** Deletes expired finished invocations ([retention]); one runner at a time by a lease. */
  retention: RetentionService;
  /** Moves outbox rows to the backend ([outbox] url); one runner at a time by a lease. */
  outbox: OutboxRelay;
}

/** Starts the heartbeat, then recovery. `meta`: what the heartbeat reports (monitoring). */
export async function startLiveness(
  app: Runtime,
  backends: Backends,
  runner: { id: string; kind: string; meta: () => Record<string, unknown> },
): Promise<Liveness> {
  const cfg = app.config.runner;
  const heartbeat = new Heartbeat({
    state: backends.state,
    id: runner.id,
    kind: runner.kind,
    intervalMs: cfg.heartbeat_interval_seconds * 1000,
    deadAfterMs: cfg.runner_dead_after_seconds * 1000,
    meta: runner.meta,
    logger: app.logger,
    worker: { resolved: app.resolvedConfig, backend: backends.names.state },
  });
  await heartbeat.start();
  // SQL callers (the backend's call() function) get this runner's tasks' priorities and limits.
  await declareSqlTasks(app, backends);
  const recovery = new RecoveryService(backends, cfg, runner.id, app.logger, {
    cap: recoveryCapOf(app),
    contactMs: () => heartbeat.contactMs(),
    onFailed: (recs) => app.notifyFinal(recs),
  });
  recovery.start();
  const retention = new RetentionService(app, runner.id, app.logger);
  retention.start();
  const outbox = new OutboxRelay(app, runner.id, app.logger);
  outbox.start();
  return { heartbeat, recovery, retention, outbox };
}
