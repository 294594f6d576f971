/** Small helpers for backends that talk to a server over a URL (redis, rabbitmq, postgres). */

/** The URL with its password replaced, for messages and logs. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      u.password = '****';
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:****@');
  }
}

/** Backoff between reconnect attempts: 50 ms doubling up to 2 s. */
export const reconnectDelayMs = (attempt: number): number =>
  Math.min(2000, 50 * 2 ** Math.min(attempt - 1, 6));
