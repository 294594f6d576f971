/** A test file's Redis app: fresh backends under their own key prefix for each test, and a plain client beside them. */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach } from 'vitest';
import type { Backends } from '../../src/backends/registry.js';
import { keyPrefix } from '../../src/backends/redis/keys.js';
import { openBackends } from '../compliance/harness.js';
import { deleteKeys, REDIS_URL, testPrefix } from './redis-keys.js';

export interface RedisTestApp {
  /** The app's backends (redis), opened before each test and closed after it. */
  b: Backends;
  /** A plain client, to read and write the app's keys directly. */
  admin: Redis;
  /** The app's full key prefix (its hash tag included): `${P}i:<id>` is a record. */
  P: string;
  /** The configured `redis.prefix`: another process's backends on the same app open with it. */
  prefix: string;
}

/** Registers the hooks (call it inside a describe); the fields are set before each test. */
export function eachRedisApp(kind: string): RedisTestApp {
  const base = testPrefix(kind);
  let n = 0;
  const app = {} as RedisTestApp;
  beforeEach(async () => {
    const prefix = `${base}${n++}:`;
    app.prefix = prefix;
    app.b = await openBackends({ backend: 'redis', redis: { url: REDIS_URL, prefix } });
    app.P = keyPrefix('taskapp', prefix);
    app.admin = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await app.b.close();
    app.admin.disconnect();
  });
  afterAll(async () => {
    await deleteKeys(base);
  });
  return app;
}
