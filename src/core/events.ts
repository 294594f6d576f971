/**
 * In-process events about task work, for metrics and monitors. Emitting is synchronous and cheap
 * when nobody listens; a listener that throws never breaks the runner (errors are swallowed).
 */
type AppEvent =
  | { type: 'submitted'; taskId: string; count: number }
  | { type: 'started'; taskId: string; invocationId: string; runnerId: string }
  | {
      type: 'finished';
      taskId: string;
      invocationId: string;
      runnerId: string;
      status: 'SUCCESS' | 'FAILED' | 'RETRY';
      durationMs: number;
    }
  /** A call or start held back by concurrency control (emitted by the orchestration code that decides it). */
  | { type: 'concurrency_controlled'; taskId: string; invocationId: string }
  /** Finished invocations (and argument blobs) deleted by a retention pass of this process. */
  | { type: 'retention'; purged: number; blobsDeleted: number };

type AppEventListener = (e: AppEvent) => void;

export class AppEvents {
  private readonly listeners = new Set<AppEventListener>();

  /** Returns a function that removes the listener. */
  on(fn: AppEventListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Whether anything listens: a hot path skips building events nobody reads. */
  get active(): boolean {
    return this.listeners.size > 0;
  }

  emit(e: AppEvent): void {
    if (this.listeners.size === 0) {
      return;
    }
    for (const fn of this.listeners) {
      try {
        fn(e);
      } catch {
        /* a monitor must not break task work */
      }
    }
  }
}
