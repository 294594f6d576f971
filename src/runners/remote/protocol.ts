/**
 * Messages between a runner (host) and the children or worker threads (guests) that run its tasks.
 * Guests never open the backend: every backend call a task makes (call, parallelize, result waits,
 * status) is an `rpc` the host answers from its own backends, so the memory backend works too.
 */
import type { ResolvedConfig } from '../../config/resolve.js';
import type { InvocationRecord } from '../../core/records.js';
import type { RoleName } from '../../backends/registry.js';
import type { Outcome } from '../execute.js';

export interface InitMessage {
  t: 'init';
  /** Module exporting the App (and, through its imports, the tasks). */
  /** Modules to import: the one that exports the app, then the other task modules. */
  appModule: string[];
  appId: string;
  resolved: ResolvedConfig;
  runnerId: string;
  /** 'guest': run what the host sends over this channel; 'thread': run a thread runner on the shared backend. */
  mode: 'guest' | 'thread';
  names: Record<RoleName, string>;
  concurrency?: number;
  /**
   * The guest enforces `timeout_seconds` itself (it runs several invocations at once, so killing it
   * on one's timeout would end its neighbours too); the host only kills a guest stuck past it.
   */
  guestTimeouts?: boolean;
  /** Register tsx before importing the task modules (tsxInInit in worker-source.ts). */
  registerTsx?: boolean;
}

export type ToGuest =
  | InitMessage
  | { t: 'run'; recs: InvocationRecord[] }
  | { t: 'rpc-res'; id: number; ok: true; value: unknown }
  | { t: 'rpc-res'; id: number; ok: false; error: string }
  | { t: 'stop'; graceMs?: number }
  /** The invocation was cancelled: abort its ctx.signal. */
  | { t: 'cancel'; id: string; reason: string };

/** A guest that could not start: its error's message and, for a TaskappError, its fix. */
export function fatalMessage(err: unknown): Extract<ToHost, { t: 'fatal' }> {
  const fix = (err as { fix?: unknown } | null)?.fix;
  return {
    t: 'fatal',
    error: err instanceof Error ? err.message : String(err),
    ...(typeof fix === 'string' ? { fix } : {}),
  };
}

export type ToHost =
  /** `tasks`: the task ids the guest's modules registered. */
  | { t: 'ready'; runnerId?: string; tasks?: string[] }
  | { t: 'fatal'; error: string; fix?: string }
  | { t: 'rpc'; id: number; role: string; method: string; args: unknown[] }
  | { t: 'done'; outs: Array<{ id: string; out: Outcome }> }
  /** The invocation `id` called process.exit(): the guest is about to exit because of it. */
  | { t: 'exiting'; id: string }
  /** Thread mode: invocations in flight, for scaling and idle detection. */
  | { t: 'load'; inFlight: number };

/** Backend methods a guest may call through the host, per role. */
export const RPC_METHODS: Readonly<Record<string, readonly string[]>> = {
  state: [
    'insert',
    'get',
    'getMany',
    'history',
    'list',
    'countByStatus',
    'runners',
    'setExtras',
    'extras',
  ],
  workflows: ['wfGet', 'wfSetIfAbsent', 'wfSet', 'wfList', 'wfIds'],
  broker: ['route', 'count'],
  hot: ['enqueue'],
  cancels: ['publish'],
  triggers: [
    'saveCondition',
    'conditions',
    'lastFire',
    'casLastFire',
    'addEvent',
    'events',
    'claimRun',
  ],
  data: ['put', 'get', 'has', 'stats', 'addRefs'],
};
