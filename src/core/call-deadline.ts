/**
 * One bound on everything a producer's call() waits for on the server (opening the backend,
 * storing arguments, enqueueing), on every backend: a runner rides out an outage, a producer
 * fails after `call_timeout_seconds` with an error naming the server instead of hanging.
 */
import { CallTimeoutError } from './errors.js';

export class CallDeadline {
  private readonly end: number;

  constructor(
    private readonly taskId: string,
    private readonly timeoutSeconds: number,
    /** The servers written to, passwords masked (read only when the deadline passes). */
    private readonly server: () => string,
  ) {
    this.end = Date.now() + timeoutSeconds * 1000;
  }

  /** `work`, or CallTimeoutError once the deadline passes (the work itself cannot be cancelled). */
  async within<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CallTimeoutError(this.taskId, this.server(), this.timeoutSeconds)),
        Math.max(0, this.end - Date.now()),
      );
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}
