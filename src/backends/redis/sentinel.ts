/**
 * Redis Sentinel: the ioredis options that make a client ask the sentinels for the current primary
 * and follow it after a failover, and how a [redis] section is named in messages.
 */
import type { RedisOptions } from 'ioredis';
import type { TaskappConfig } from '../../config/schema.js';
import { parseSentinel } from '../../config/sentinel-address.js';
import { maskUrl, reconnectDelayMs } from '../common/connection-utils.js';

export interface SentinelSettings {
  /** "host:port" or redis:// URLs, as in [redis] sentinels. */
  sentinels: string[];
  /** The primary group the sentinels monitor. */
  name: string;
  password?: string;
}

/** The sentinel settings of a [redis] section, or undefined when it names no sentinels. */
export function sentinelSettings(redis: TaskappConfig['redis']): SentinelSettings | undefined {
  if (!redis.sentinels.length || redis.sentinel_name === undefined) {
    return undefined;
  }
  return {
    sentinels: redis.sentinels,
    name: redis.sentinel_name,
    ...(redis.sentinel_password !== undefined ? { password: redis.sentinel_password } : {}),
  };
}

/**
 * Options that route a client through the sentinels. `started` tells whether the first connect
 * succeeded: before it, unreachable sentinels fail at once (start-up reports them); after it, the
 * client keeps asking them with backoff. On +switch-master (the failover detector) a client drops
 * its connection and asks again, instead of writing to a demoted primary until Sentinel kills it.
 */
export function sentinelOptions(s: SentinelSettings, started: () => boolean): RedisOptions {
  const addrs = s.sentinels.map((v) => parseSentinel(v)!);
  const creds = addrs.find((a) => a.password !== undefined || a.username !== undefined);
  return {
    sentinels: addrs.map(({ host, port }) => ({ host, port })),
    name: s.name,
    role: 'master',
    sentinelUsername: creds?.username,
    sentinelPassword: creds?.password ?? s.password,
    sentinelRetryStrategy: (attempt) => (started() ? reconnectDelayMs(attempt) : null),
    sentinelReconnectStrategy: (attempt) => reconnectDelayMs(attempt),
    failoverDetector: true,
  };
}

/** How the redis section is named in messages: its URL, or its sentinels and primary name. */
export function redisWhere(url: string, s: SentinelSettings | undefined): string {
  if (!s) {
    return maskUrl(url);
  }
  const list = s.sentinels.map((v) => {
    const a = parseSentinel(v);
    return a ? `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}` : v;
  });
  return `sentinel "${s.name}" via ${list.join(',')}`;
}
