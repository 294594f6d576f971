/**
 * `taskapp run`: starts the configured runner in this process and keeps it until it drains
 * (--once) or a signal arrives. First SIGINT/SIGTERM: graceful stop (stop claiming, let work in
 * flight finish for shutdown_grace_seconds, reroute the rest). Second signal: exit at once; the
 * work still held is recovered by the other runners once this one's heartbeat goes stale.
 * With `[runner] health_port` it serves /healthz and /readyz; the first signal fails readiness
 * before the drain starts.
 */
import type { App } from '../app/app.js';
import { roleBackendNames } from '../backends/registry.js';
import { orphanTaskConfig } from './task-view.js';
import type { Runner, RunnerOptions } from '../runners/runner.js';
import { keepYoungGenerationSmall } from '../runners/young-generation.js';
import { ConfigError } from '../core/errors.js';
import { runtimeOf } from '../runtime/runtime.js';
import { serveHealth, type HealthServer } from '../monitoring/health.js';

interface RunIo {
  info(line: string): void;
  warn(line: string): void;
}

/** "sqlite", or "broker=rabbitmq state=redis ..." when the roles differ. */
function describeBackends(app: App): string {
  const names = roleBackendNames(app.config);
  const distinct = new Set(Object.values(names));
  if (app.devMode) {
    return 'memory (dev_mode_force_sync)';
  }
  return distinct.size === 1
    ? [...distinct][0]!
    : Object.entries(names)
        .map(([role, n]) => `${role}=${n}`)
        .join(' ');
}

function startBanner(app: App, runner: Runner, opts: RunnerOptions, modules: number): string {
  const tasks = app.taskIds();
  const size =
    (opts.runner === 'thread' || opts.runner === undefined
      ? `concurrency ${opts.concurrency}`
      : `processes ${opts.processes ?? 'auto'}, concurrency ${opts.concurrency}`) +
    (opts.prefetch ? `, prefetch ${opts.prefetch}` : '');
  return (
    `taskapp ${opts.once ? 'draining' : 'running'}: app=${app.appId} backend=${describeBackends(app)} runner=${runner.kind} (${size}) ` +
    `tasks=${tasks.length} [${tasks.join(', ')}] from ${modules} module${modules === 1 ? '' : 's'} id=${runner.id}`
  );
}

export async function runUntilStopped(
  app: App,
  opts: RunnerOptions,
  modules: number,
  io: RunIo,
): Promise<{ signal: string | null }> {
  if (app.devMode) {
    io.warn(
      'dev_mode_force_sync is on: calls run inline where they are made, so this runner will find no work from other processes',
    );
  }
  // This process is the runner's own (an app that starts its runner in its own server keeps V8's defaults).
  keepYoungGenerationSmall();
  // Before the runner starts: liveness answers during a slow start, readiness says "starting".
  const health = await startHealth(app, io);
  let runner: Runner;
  try {
    runner = await app.startRunner(opts);
  } catch (err) {
    await health?.close();
    throw err;
  }
  health?.setRunner(runner);
  io.info(startBanner(app, runner, opts, modules));
  // A typo in [tasks.<name>] would otherwise leave the intended task on its defaults, silently.
  for (const orphan of orphanTaskConfig(app)) {
    io.warn(`${orphan}: its options apply to nothing`);
  }
  let signal: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signal) {
      io.warn(
        `${sig} again: stopping now; work in flight is recovered by other runners after runner_dead_after_seconds`,
      );
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    signal = sig;
    // Not ready first, so the orchestrator stops sending work while this one drains.
    health?.markDraining();
    io.info(
      `${sig}: stopping (finishing work in flight for up to ${app.config.runner.shutdown_grace_seconds}s; send it again to stop at once)`,
    );
    void runner.stop({ reason: sig });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runner.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await health?.close();
  }
  io.info(signal ? 'runner stopped' : 'queue drained; runner stopped');
  return { signal };
}

async function startHealth(app: App, io: RunIo): Promise<HealthServer | undefined> {
  const port = app.config.runner.health_port;
  if (port === undefined) {
    return undefined;
  }
  const server = await serveHealth(runtimeOf(app), port).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(
      `cannot serve health probes on port ${port} ([runner] health_port): ${err.code ?? err.message}`,
      'pick a free port for each runner process on this host, or unset health_port',
      err,
    );
  });
  io.info(`health probes on http://0.0.0.0:${server.port}/healthz and /readyz`);
  return server;
}
