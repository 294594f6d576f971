/**
 * A Redis Sentinel address as users write it in [redis] sentinels: "host:port", "[::1]:26379" or
 * "redis://[user:password@]host:port" (a URL carries the sentinel's own credentials).
 */
export interface SentinelAddress {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

/** The address, or undefined when `v` is neither host:port nor a redis:// URL with a port. */
export function parseSentinel(v: string): SentinelAddress | undefined {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `redis://${v}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return undefined;
  }
  const port = Number(u.port);
  if (
    !['redis:', 'rediss:'].includes(u.protocol) ||
    !u.hostname ||
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65535 ||
    (u.pathname !== '' && u.pathname !== '/')
  ) {
    return undefined;
  }
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}
