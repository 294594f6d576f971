/**
 * A runner's liveness, the same for every runner kind: its heartbeat (from a worker thread, see
 * heartbeat.ts) and the recovery service that reruns dead runners' work while this runner is in
 * steady contact with the backend.
 */
import type { Backends } from '../backends/registry.js';
import { RecoveryService, recoveryCapOf } from '../runtime/recovery.js';
import type { Runtime } from '../runtime/runtime.js';
import { Heartbeat } from './heartbeat.js';

export interface Liveness {
  heartbeat: Heartbeat;
  recovery: RecoveryService;
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
  const recovery = new RecoveryService(backends, cfg, runner.id, app.logger, {
    cap: recoveryCapOf(app),
    contactMs: () => heartbeat.contactMs(),
    onFailed: (recs) => app.notifyFinal(recs),
  });
  recovery.start();
  return { heartbeat, recovery };
}
