/** Per-run Redis key prefixes for tests, and their cleanup (SCAN + DEL of that prefix only). */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.TASKAPP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A unique prefix for one test run; each freshConfig() call adds its own suffix. */
export function testPrefix(kind: string): string {
  return `taskapp-test:${kind}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix` (and nothing else). */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<number> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await r.connect();
  try {
    return await deleteKeysOn(r, prefix);
  } finally {
    r.disconnect();
  }
}

/**
 * SCAN + DEL of the keys under `prefix` on one server. A cluster node's keys may sit in many slots,
 * so there (`oneByOne`) each key gets its own DEL; a single server takes them in one.
 */
export async function deleteKeysOn(node: Redis, prefix: string, oneByOne = false): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(
      cursor,
      'MATCH',
      `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
      'COUNT',
      1000,
    );
    cursor = next;
    if (oneByOne) {
      for (const k of keys) {
        n += await node.del(k);
      }
    } else if (keys.length) {
      n += await node.del(...keys);
    }
  } while (cursor !== '0');
  return n;
}
