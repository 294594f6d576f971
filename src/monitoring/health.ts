/**
 * Health probes of a runner process (`[runner] health_port`), for Kubernetes and other orchestrators:
 *
 * - `GET /healthz`: the process is alive. The event loop itself answers, so a loop blocked by a task
 *   does not answer (and a liveness probe restarts it only after its own failure threshold).
 * - `GET /readyz`: this process should receive work: its runner has started and is not draining, its
 *   last heartbeat is younger than `runner_dead_after_seconds` (older, and others are about to
 *   recover its work), and the state backend answers a read now.
 *
 * Both answer JSON with every check, 200 or 503. SIGTERM flips readiness before the drain begins
 * (`markDraining`), so the orchestrator stops routing to the pod while its work finishes.
 */
import { createServer, type Server } from 'node:http';
import type { Runtime } from '../runtime/runtime.js';
import type { Runner } from '../runners/runner.js';

/** A backend read slower than this fails readiness (a probe's default timeout is 1 s). */
const BACKEND_PROBE_MS = 900;
/** Never a real invocation id: the read finds nothing and touches one index entry. */
const PROBE_ID = 'taskapp-readyz-probe';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HealthServer {
  port: number;
  /** The runner to judge, once started (before: not ready, "starting"). */
  setRunner(runner: Runner): void;
  /** Readiness fails from now on (first signal), whatever the runner says. */
  markDraining(): void;
  close(): Promise<void>;
}

async function backendCheck(app: Runtime): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const state = (await app.backends()).state;
    await Promise.race([
      state.get(PROBE_ID),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${BACKEND_PROBE_MS} ms`)),
          BACKEND_PROBE_MS,
        );
      }),
    ]);
    return { name: 'backend', ok: true, detail: 'answers' };
  } catch (err) {
    return { name: 'backend', ok: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Every readiness check, in order. */
export async function readiness(
  app: Runtime,
  runner: Runner | undefined,
  draining: boolean,
  now = Date.now(),
): Promise<Check[]> {
  const health = runner?.health();
  const deadAfterMs = app.config.runner.runner_dead_after_seconds * 1000;
  const last = health?.lastBeatAt;
  const beatAge = last === undefined ? undefined : now - last;
  return [
    {
      name: 'runner',
      ok: runner !== undefined && !draining && !health?.draining,
      detail:
        runner === undefined ? 'starting' : draining || health?.draining ? 'draining' : 'running',
    },
    {
      name: 'heartbeat',
      ok: beatAge !== undefined && beatAge <= deadAfterMs,
      detail:
        beatAge === undefined
          ? 'no heartbeat yet'
          : `last ${beatAge} ms ago (limit runner_dead_after_seconds = ${deadAfterMs / 1000})`,
    },
    await backendCheck(app),
  ];
}

export async function serveHealth(
  app: Runtime,
  port: number,
  host = '0.0.0.0',
): Promise<HealthServer> {
  let runner: Runner | undefined;
  let draining = false;
  const started = Date.now();
  const reply = (res: import('node:http').ServerResponse, ok: boolean, body: object) =>
    res
      .writeHead(ok ? 200 : 503, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      })
      .end(`${JSON.stringify({ status: ok ? 'ok' : 'fail', ...body })}\n`);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      reply(res, true, { uptimeSeconds: Math.round((Date.now() - started) / 1000) });
    } else if (path === '/readyz') {
      readiness(app, runner, draining).then(
        (checks) =>
          reply(
            res,
            checks.every((c) => c.ok),
            { checks },
          ),
        (err: Error) => reply(res, false, { error: err.message }),
      );
    } else {
      res.writeHead(404).end('not found; try /healthz or /readyz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // Probes must not keep a stopped runner's process alive.
  server.unref();
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    setRunner: (r) => (runner = r),
    markDraining: () => (draining = true),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
