/**
 * Tells the state backend every `heartbeat_interval_seconds` that a runner is alive. Where the
 * backend is shared by processes (sqlite file, redis, postgres) the beats come from a worker thread
 * with its own connection: a task that blocks the event loop does not make its runner look dead
 * (and get its work rerun elsewhere). The event loop answers the worker every tick; a loop that
 * stops answering is reported in the log, by the worker while it lasts and by the loop after.
 * Until the worker is ready, or if it fails, the event loop beats itself.
 *
 * It also keeps this runner's view of its contact with the backend (`contactMs`), which recovery
 * needs: silence from others is evidence of their death only while this runner could hear them.
 */
import { hostname } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StateBackend } from '../backends/state-backend.js';
import { registeredFromCode } from '../backends/registry.js';
import { ServerClock } from '../orchestration/server-clock.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { RunnerInfo } from '../core/records.js';
import type { Logger } from '../core/logger.js';
import {
  blockedMessage,
  type FromHeartbeatWorker,
  type HeartbeatWorkerData,
  type RunningTask,
} from './heartbeat-protocol.js';
import { workerSource } from './remote/worker-source.js';

export interface HeartbeatOptions {
  state: StateBackend;
  id: string;
  kind: string;
  intervalMs: number;
  /** runner_dead_after_seconds in ms: bounds the gap in contact that still counts as contact. */
  deadAfterMs: number;
  /** Facts for monitoring, read every tick. */
  meta: () => Record<string, unknown>;
  logger: Logger;
  /** Beat from a worker thread on its own connection to this backend (omit: beat in this thread). */
  worker?: { resolved: ResolvedConfig; backend: string };
}

/** How often the event loop answers the worker (and checks its own lag). */
const TICK_MAX_MS = 500;
/** A stop waits this long for the worker to finish its last beat. */
const WORKER_STOP_MS = 2000;

export class Heartbeat {
  readonly info: RunnerInfo;
  private readonly clock: ServerClock;
  private readonly tickMs: number;
  private readonly blockedAfterMs: number;
  /** A gap between two successful beats longer than this breaks contact. */
  private readonly contactBreakMs: number;
  private beatTimer?: NodeJS.Timeout;
  private tickTimer?: NodeJS.Timeout;
  private worker?: Worker;
  private workerReady = false;
  private workerStopped?: () => void;
  private stopped = false;
  private lastTick = Date.now();
  private contactSince?: number;
  private lastOk?: number;
  private readonly tracked = new Map<string, string>();
  /** Tasks that ran at some point since the last tick: one of them blocked the loop, if it was blocked. */
  private sinceTick = new Map<string, string>();

  constructor(private readonly options: HeartbeatOptions) {
    const now = Date.now();
    this.info = {
      id: options.id,
      kind: options.kind,
      hostname: hostname(),
      pid: process.pid,
      startedAt: now,
      heartbeatAt: now,
    };
    this.clock = new ServerClock(options.state);
    this.tickMs = Math.min(options.intervalMs, TICK_MAX_MS);
    this.blockedAfterMs = Math.max(2000, 2 * options.intervalMs);
    // Others beat at the same pace: after a gap g they are at most g + interval silent, which must
    // stay under dead-after for their silence to mean anything.
    this.contactBreakMs = Math.max(options.deadAfterMs - options.intervalMs, options.intervalMs);
  }

  async start(): Promise<void> {
    // The first beat from here: the runner's row exists once start() resolves.
    await this.beat();
    this.beatFromLoop();
    this.lastTick = Date.now();
    this.tickTimer = setInterval(() => this.tick(), this.tickMs);
    this.tickTimer.unref();
    if (this.options.worker && sharedAcrossProcesses(this.options.worker)) {
      this.startWorker(this.options.worker);
    }
  }

  /** One beat from this thread. */
  async beat(): Promise<void> {
    try {
      await this.options.state.heartbeat({
        ...this.info,
        heartbeatAt: await this.clock.now(),
        meta: this.options.meta(),
      });
    } catch (err) {
      this.record(false, Date.now());
      throw err;
    }
    this.record(true, Date.now());
  }

  /** True once the worker thread beats for this runner (false: this thread beats). */
  get fromWorker(): boolean {
    return this.worker !== undefined && this.beatTimer === undefined;
  }

  /** Marks an invocation as running in this thread (named when the loop blocks); returns the undo. */
  track(invocationId: string, taskId: string): () => void {
    this.tracked.set(invocationId, taskId);
    this.sinceTick.set(invocationId, taskId);
    return () => this.tracked.delete(invocationId);
  }

  /** When the last beat succeeded (local ms), from this thread or the worker; undefined before one. */
  get lastBeatAt(): number | undefined {
    return this.lastOk;
  }

  /**
   * How long this runner has been in unbroken contact with the backend: since the first of a run
   * of successful beats with no failure and no gap longer than `contactBreakMs`; 0 when out of contact.
   */
  contactMs(now = Date.now()): number {
    if (this.contactSince === undefined || this.lastOk === undefined) {
      return 0;
    }
    return now - this.lastOk > this.contactBreakMs ? 0 : now - this.contactSince;
  }

  private record(ok: boolean, at: number): void {
    if (!ok) {
      this.contactSince = undefined;
      return;
    }
    if (
      this.contactSince === undefined ||
      this.lastOk === undefined ||
      at - this.lastOk > this.contactBreakMs
    ) {
      this.contactSince = at;
    }
    this.lastOk = at;
  }

  private beatFromLoop(): void {
    if (this.beatTimer || this.stopped) {
      return;
    }
    this.beatTimer = setInterval(() => {
      this.beat().catch((err) =>
        this.options.logger.warn('heartbeat failed', { error: (err as Error).message }),
      );
    }, this.options.intervalMs);
    this.beatTimer.unref();
  }

  /** Answers the worker; a tick far later than due means the loop was blocked: say so, and by what. */
  private tick(): void {
    const now = Date.now();
    const lateMs = now - this.lastTick - this.tickMs;
    if (lateMs >= this.blockedAfterMs) {
      this.options.logger.warn(blockedMessage(this.options.id, lateMs, running(this.sinceTick)), {
        runner: this.options.id,
        blockedMs: lateMs,
      });
    }
    this.lastTick = now;
    this.sinceTick = new Map(this.tracked);
    // What ran at this answer: the worker names it if the loop blocks before the next one (a
    // task started since is named by the loop's own line once it runs again).
    this.worker?.postMessage({
      t: 'alive',
      meta: this.options.meta(),
      running: running(this.tracked),
    });
  }

  private startWorker(remote: { resolved: ResolvedConfig; backend: string }): void {
    const src = workerSource([], 'heartbeat-entry');
    const cfg = remote.resolved.config;
    const data: HeartbeatWorkerData = {
      resolved: remote.resolved,
      backend: remote.backend,
      info: this.info,
      intervalMs: this.options.intervalMs,
      blockedAfterMs: this.blockedAfterMs,
      logLevel: cfg.logging_level,
      logFormat: cfg.monitor.log_format,
    };
    const w = new Worker(src.source, { eval: src.eval, workerData: data });
    this.worker = w;
    w.unref();
    w.on('message', (m: FromHeartbeatWorker) => this.onWorker(w, m));
    w.on('error', (err) => this.workerFailed(w, err.message));
    w.on('exit', (code) => {
      this.workerStopped?.();
      this.workerFailed(w, `it exited with code ${code}`);
    });
  }

  private onWorker(w: Worker, m: FromHeartbeatWorker): void {
    if (m.t === 'ready') {
      this.workerReady = true;
      // The worker beats from now on.
      clearInterval(this.beatTimer);
      this.beatTimer = undefined;
    } else if (m.t === 'beat') {
      this.record(m.ok, m.at);
      if (!m.ok) {
        this.options.logger.warn('heartbeat failed', { runner: this.options.id, error: m.error });
      }
    } else if (m.t === 'stopped') {
      this.workerStopped?.();
    } else {
      this.workerFailed(w, m.error);
    }
  }

  private workerFailed(w: Worker, reason: string): void {
    if (this.worker !== w || this.stopped) {
      return;
    }
    this.worker = undefined;
    void w.terminate();
    this.options.logger.warn('heartbeat worker thread failed; the event loop beats instead', {
      runner: this.options.id,
      reason,
    });
    this.beatFromLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.beatTimer);
    clearInterval(this.tickTimer);
    const w = this.worker;
    this.worker = undefined;
    if (w && this.workerReady) {
      // Its last beat lands before the row is removed, not after.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WORKER_STOP_MS);
        this.workerStopped = () => {
          clearTimeout(timer);
          resolve();
        };
        w.postMessage({ t: 'stop' });
      });
    }
    // Not ready yet: it has written nothing to wait for (a row a late beat might still leave
    // behind is removed by the next recovery pass, as a silent runner's).
    await w?.terminate();
    await this.options.state.removeRunner(this.info.id);
  }
}

function running(m: Map<string, string>): RunningTask[] {
  return [...m].map(([invocationId, taskId]) => ({ invocationId, taskId }));
}

/** A worker's own connection reaches the same runner rows (not so for memory or sqlite :memory:). */
function sharedAcrossProcesses(remote: { resolved: ResolvedConfig; backend: string }): boolean {
  // A backend registered from code is unknown to the worker thread (a package loads there too).
  if (remote.backend === 'memory' || registeredFromCode(remote.backend)) {
    return false;
  }
  return !(remote.backend === 'sqlite' && remote.resolved.config.sqlite.path === ':memory:');
}
