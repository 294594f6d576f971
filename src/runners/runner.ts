/** What every runner kind offers to the app and the CLI. */
export interface RunnerOptions {
  runner?: 'thread' | 'multi-thread' | 'process' | 'persistent-process';
  concurrency?: number;
  processes?: number;
  /**
   * Module that exports the App (with its tasks imported): children and worker threads import it.
   * `taskapp run` fills it from task discovery; needed by process, persistent-process, multi-thread
   * and by worker_threads tasks.
   */
  appModule?: string | string[];
  /** Stop once the queue is empty and nothing is in flight (`taskapp run --once`). */
  once?: boolean;
}

export interface Runner {
  readonly id: string;
  readonly kind: string;
  /** Graceful: stop claiming, let work in flight finish (up to the grace period), reroute the rest. */
  stop(opts?: { graceMs?: number }): Promise<void>;
  /** Resolves when the runner has stopped (by stop() or, with `once`, by draining the queue). */
  readonly done: Promise<void>;
}
