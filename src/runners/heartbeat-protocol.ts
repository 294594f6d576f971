/** Messages between a runner's event loop and its heartbeat worker thread (heartbeat.ts). */
import type { ResolvedConfig } from '../config/resolve.js';
import type { RunnerInfo } from '../core/records.js';

export interface RunningTask {
  invocationId: string;
  taskId: string;
}

export interface HeartbeatWorkerData {
  resolved: ResolvedConfig;
  /** The backend serving the state role (where runner rows live). */
  backend: string;
  info: RunnerInfo;
  intervalMs: number;
  /** The event loop not answering this long is reported in the log. */
  blockedAfterMs: number;
  logLevel: string;
  logFormat: 'text' | 'json';
}

export type ToHeartbeatWorker =
  { t: 'alive'; meta: Record<string, unknown>; running: RunningTask[] } | { t: 'stop' };

export type FromHeartbeatWorker =
  | { t: 'ready' }
  | { t: 'beat'; ok: boolean; at: number; error?: string }
  | { t: 'stopped' }
  | { t: 'fatal'; error: string };

/** "event loop of runner X blocked for 7.1s (task foo, invocation abc)". */
export function blockedMessage(
  runnerId: string,
  blockedMs: number,
  running: RunningTask[],
  ongoing = false,
): string {
  const shown = running.slice(0, 5).map((r) => `task ${r.taskId}, invocation ${r.invocationId}`);
  const more = running.length > 5 ? `; ${running.length - 5} more` : '';
  const what = shown.length ? ` (${shown.join('; ')}${more})` : '';
  const span = `${(blockedMs / 1000).toFixed(1)}s${ongoing ? ' so far' : ''}`;
  return `event loop of runner ${runnerId} blocked for ${span}${what}`;
}
