/**
 * Entry of a runner's heartbeat worker thread: beats for the runner on its own backend connection,
 * so a task that blocks the event loop (a synchronous loop) does not silence its runner, and says
 * in the log when the runner's event loop stops answering.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { openBackend, type BackendRoles } from '../../backends/registry.js';
import { ServerClock } from '../../orchestration/server-clock.js';
import { formatLine } from '../../core/logger.js';
import {
  blockedMessage,
  type FromHeartbeatWorker,
  type HeartbeatWorkerData,
  type RunningTask,
  type ToHeartbeatWorker,
} from '../heartbeat-protocol.js';

const data = workerData as HeartbeatWorkerData;
const port = parentPort!;
const post = (m: FromHeartbeatWorker) => port.postMessage(m);

let meta: Record<string, unknown> | undefined;
let running: RunningTask[] = [];
let answeredAt = Date.now();
let warnedBlock = false;
let stopping = false;
let wake: (() => void) | undefined;

port.on('message', (m: ToHeartbeatWorker) => {
  if (m.t === 'alive') {
    answeredAt = Date.now();
    warnedBlock = false;
    meta = m.meta;
    running = m.running;
  } else if (m.t === 'stop') {
    stopping = true;
    wake?.();
  }
});

/** Written straight to fd 2: the main thread, which relays a worker's process.stderr, is blocked. */
function warnIfBlocked(): void {
  const blockedMs = Date.now() - answeredAt;
  if (warnedBlock || blockedMs < data.blockedAfterMs || data.logLevel === 'error') {
    return;
  }
  warnedBlock = true;
  const line = {
    app: data.resolved.config.app_id,
    runner: data.info.id,
    level: 'warn' as const,
    msg: `${blockedMessage(data.info.id, blockedMs, running, true)}; heartbeats go on from a worker thread`,
    at: Date.now(),
  };
  writeSync(2, formatLine(line, data.logFormat));
}

async function open(): Promise<BackendRoles> {
  const c = data.resolved.config;
  // One connection is enough; the runner's own backend already logs the server's warnings.
  const resolved = {
    ...data.resolved,
    config: { ...c, logging_level: 'error' as const, postgres: { ...c.postgres, pool_size: 1 } },
  };
  // It only beats: no LISTEN connection for every NOTIFY of the schema to wake.
  return openBackend(data.backend, resolved, { wakeups: false });
}

async function main(): Promise<void> {
  const roles = await open();
  const state = roles.state!;
  const clock = new ServerClock(state);
  post({ t: 'ready' });
  while (!stopping) {
    const began = Date.now();
    try {
      await state.heartbeat({ ...data.info, heartbeatAt: await clock.now(), meta });
      post({ t: 'beat', ok: true, at: Date.now() });
    } catch (err) {
      post({ t: 'beat', ok: false, at: Date.now(), error: (err as Error).message });
    }
    warnIfBlocked();
    if (Date.now() - began > data.intervalMs) {
      // A beat that waited out an outage wrote the time it began: write a fresh one at once.
      continue;
    }
    await new Promise<void>((r) => {
      wake = r;
      if (stopping) {
        r();
      } else {
        setTimeout(r, data.intervalMs);
      }
    });
  }
  await roles.close().catch(() => {});
  post({ t: 'stopped' });
}

main().catch((err: unknown) => post({ t: 'fatal', error: (err as Error).message }));
