/**
 * A started runner holds its process open until it is stopped, as a listening server does: its
 * claim loop may be waiting on nothing but a promise (no free slot while a child restarts), and
 * the process must not end then with that work unfinished (exit code 13, issue #15).
 */
export function holdProcessOpen(): () => void {
  const timer = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(timer);
}

/**
 * A runner's hold on its process: taken by `start`, let go when `stop` has stopped the runner or
 * start-up failed.
 */
export class ProcessHold {
  private releaseTimer?: () => void;
  private stopped?: Promise<void>;

  /** stop() was called. */
  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  /** Holds the process open, then runs `startUp`; a failed start-up lets go at once. */
  async start<T>(startUp: () => Promise<T>): Promise<T> {
    this.releaseTimer = holdProcessOpen();
    try {
      return await startUp();
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Runs `doStop` once however often it is called, then lets go of the process. */
  stop(doStop: () => Promise<void>): Promise<void> {
    return (this.stopped ??= doStop().finally(() => this.release()));
  }

  private release(): void {
    this.releaseTimer?.();
    this.releaseTimer = undefined;
  }
}
