/**
 * `ctx.progress(value, message)`: what a running task says of its progress, kept in the
 * invocation's extras. Writes are rate-limited (at most one per `[monitor] progress_interval_ms`);
 * a value reported in between is held and written when the interval is up, and the last one is
 * always written before the attempt's outcome. A failed write is logged, never the task's failure.
 */
import { TaskappError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Progress } from '../core/records.js';
import type { StateBackend } from '../backends/state-backend.js';

/** The longest progress message, in characters. */
export const MAX_PROGRESS_MESSAGE = 500;

/** Checks what a task passed to ctx.progress; throws a TaskappError naming the bad part. */
export function checkProgress(value: unknown, message: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new TaskappError(
      'BAD_PARAMETER',
      `ctx.progress(value): ${String(value)} is not a number from 0 to 1`,
      { fix: 'pass the fraction done, e.g. ctx.progress(42 / 100, "resizing 42/100")' },
    );
  }
  if (message !== undefined && message !== null && typeof message !== 'string') {
    throw new TaskappError(
      'BAD_PARAMETER',
      `ctx.progress(value, message): message is a ${typeof message}, not a string`,
      {
        fix: 'pass a short text, e.g. "resizing 42/100", or leave it out',
      },
    );
  }
  if (typeof message === 'string' && message.length > MAX_PROGRESS_MESSAGE) {
    throw new TaskappError(
      'BAD_PARAMETER',
      `ctx.progress(value, message): the message has ${message.length} characters, more than ${MAX_PROGRESS_MESSAGE}`,
      { fix: `keep it under ${MAX_PROGRESS_MESSAGE} characters; log details with ctx.logger` },
    );
  }
}

export class ProgressReporter {
  private pending?: Progress;
  private lastWrite = -Infinity;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly state: StateBackend,
    private readonly invocationId: string,
    private readonly intervalMs: number,
    private readonly logger: () => Logger,
  ) {}

  report(value: number, message?: string | null): void {
    checkProgress(value, message);
    this.pending = { value, message: message ?? null, at: Date.now() };
    const wait = this.lastWrite + this.intervalMs - performance.now();
    if (wait <= 0) {
      this.write();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.write();
      }, wait);
    }
  }

  /** Writes what is held (the attempt ended): the last value reported is always stored. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
    await this.writing;
  }

  private write(): void {
    const p = this.pending;
    if (!p) {
      return;
    }
    this.pending = undefined;
    this.lastWrite = performance.now();
    // One write at a time, in order: a later value never lands before an earlier one.
    this.writing = this.writing.then(() =>
      this.state.setExtras(this.invocationId, { progress: p }).catch((err: unknown) => {
        this.logger().warn('progress not stored', { error: (err as Error).message });
      }),
    );
  }
}
