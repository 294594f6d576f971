/**
 * A started runner holds its process open until it is stopped, as a listening server does: its
 * claim loop may be waiting on nothing but a promise (no free slot while a child restarts), and
 * the process must not end then with that work unfinished (exit code 13, issue #15).
 */
export function holdProcessOpen(): () => void {
  const timer = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(timer);
}

/** A runner's hold on its process: taken by `start`, let go by `release` (at stop, or a failed start). */
export class ProcessHold {
  private releaseTimer?: () => void;

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

  release(): void {
    this.releaseTimer?.();
    this.releaseTimer = undefined;
  }
}
