/** What every runner kind offers to the app and the CLI. */
export interface RunnerOptions {
  runner?: 'thread' | 'multi-thread' | 'process' | 'persistent-process';
  concurrency?: number;
  /** Invocations claimed ahead of free slots (default: `[runner] prefetch`). */
  prefetch?: number;
  processes?: number;
  /**
   * Module that exports the App (with its tasks imported): children and worker threads import it.
   * `taskapp run` fills it from task discovery; needed by process, persistent-process, multi-thread
   * and by worker_threads tasks.
   */
  appModule?: string | string[];
  /** Stop once the queue is empty and nothing is in flight (`taskapp run --once`). */
  once?: boolean;
  /**
   * false: get ready (children spawned, heartbeat, recovery) but claim nothing until `run()`, like
   * BullMQ's `autorun: false`. Default true.
   */
  autorun?: boolean;
}

export interface StopOptions {
  graceMs?: number;
  /** Why the runner stops, for the log line it writes ("SIGTERM", "queue drained", ...). */
  reason?: string;
}

/** What a health probe asks a runner (`[runner] health_port`). */
export interface RunnerHealth {
  /** Stopping: it claims nothing new and lets work in flight finish. */
  draining: boolean;
  /** Local time of its last successful heartbeat; undefined before the first. */
  lastBeatAt: number | undefined;
}

export interface Runner {
  readonly id: string;
  readonly kind: string;
  /**
   * Graceful: stop claiming, let work in flight finish (up to the grace period), reroute the rest.
   * `reason` is logged (a runner stops only when told to, and says why).
   */
  stop(opts?: StopOptions): Promise<void>;
  /** Resolves when the runner has stopped (by stop() or, with `once`, by draining the queue). */
  readonly done: Promise<void>;
  /** Starts claiming work (a runner started with `autorun: false`); no effect once running. */
  run(): void;
  /** Its state as a readiness probe sees it. */
  health(): RunnerHealth;
}
