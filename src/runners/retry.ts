/** Whether a failed attempt is retried, and after how long. */
import type { TaskOptionsConfig } from '../config/schema.js';

export function shouldRetry(
  opts: Pick<TaskOptionsConfig, 'max_retries' | 'retry_for'>,
  attempt: number,
  err: unknown,
): boolean {
  if (attempt > opts.max_retries) {
    return false;
  }
  if (opts.retry_for.includes('*')) {
    return true;
  }
  // Match the error's class or any class it extends, by name.
  for (
    let p = err instanceof Error ? Object.getPrototypeOf(err) : null;
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    if (opts.retry_for.includes(p.constructor.name)) {
      return true;
    }
  }
  return err instanceof Error && opts.retry_for.includes(err.name);
}

/** Delay before attempt `attempt + 1`: fixed or exponential from base, capped, with +-50% jitter. */
export function retryDelayMs(
  b: TaskOptionsConfig['retry_backoff'],
  attempt: number,
  random = Math.random,
): number {
  const raw = b.kind === 'fixed' ? b.base_seconds : b.base_seconds * 2 ** (attempt - 1);
  const capped = Math.min(raw, b.max_seconds);
  const jittered = b.jitter ? capped * (0.5 + random()) : capped;
  return Math.round(Math.min(jittered, b.max_seconds) * 1000);
}
