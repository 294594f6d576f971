/**
 * The backends the chaos tests run on, one entry each. A test file loops over CHAOS_BACKENDS and
 * runs the same test code on each; a backend on a real server is wrapped in describeWithService
 * (skipped with one line unless TASKAPP_TEST_SERVICES=required). Adding a backend to every chaos
 * test is one entry in CHAOS_BACKENDS.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe } from 'vitest';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { describeWithService } from '../helpers/services.js';
import {
  CLUSTER_URLS,
  deleteClusterKeys,
  describeWithRedisCluster,
} from '../helpers/redis-cluster.js';

/** Isolated storage for one test: the same place as env (runner processes) and as taskapp() options. */
export interface ChaosStorage {
  /** TASKAPP__* variables pointing at this storage. */
  env: Record<string, string>;
  /** The same, as taskapp() options (for a process that is not configured by env). */
  options: Record<string, unknown>;
  /** Removes the storage (keys, schema); files under `dir` go with the temp folder. */
  cleanup(): Promise<void>;
}

export interface ChaosBackend {
  name: string;
  /** describe() for this backend: plain for embedded ones, skipped or failed when its server is down. */
  describe(title: string, fn: () => void): Promise<void>;
  /** Fresh storage for one test; `dir` is the test's temp folder. */
  fresh(dir: string): ChaosStorage;
}

export const sqlite: ChaosBackend = {
  name: 'sqlite',
  describe: async (title, fn) => {
    describe(title, fn);
  },
  fresh: (dir) => {
    const path = join(dir, `chaos-${randomUUID().slice(0, 8)}.sqlite`);
    return {
      env: { TASKAPP__BACKEND: 'sqlite', TASKAPP__SQLITE__PATH: path },
      options: { backend: 'sqlite', sqlite: { path } },
      cleanup: async () => {},
    };
  },
};

export const redis: ChaosBackend = {
  name: 'redis',
  describe: (title, fn) => describeWithService('redis', '127.0.0.1', 6379, title, fn),
  fresh: () => {
    const prefix = testPrefix('chaos');
    return {
      env: {
        TASKAPP__BACKEND: 'redis',
        TASKAPP__REDIS__URL: REDIS_URL,
        TASKAPP__REDIS__PREFIX: prefix,
      },
      options: { backend: 'redis', redis: { url: REDIS_URL, prefix } },
      cleanup: async () => {
        await deleteKeys(prefix);
      },
    };
  },
};

/** The local 3-master Redis Cluster (scripts/services redis-cluster), an app over 6 shards. */
export const redisCluster: ChaosBackend = {
  name: 'redis cluster',
  describe: (title, fn) => describeWithRedisCluster(title, fn),
  fresh: () => {
    const prefix = testPrefix('chaos-cluster');
    return {
      env: {
        TASKAPP__BACKEND: 'redis',
        TASKAPP__REDIS__CLUSTER: JSON.stringify(CLUSTER_URLS),
        TASKAPP__REDIS__SHARDS: '6',
        TASKAPP__REDIS__PREFIX: prefix,
      },
      options: { backend: 'redis', redis: { cluster: CLUSTER_URLS, shards: 6, prefix } },
      cleanup: async () => {
        await deleteClusterKeys(prefix);
      },
    };
  },
};

const POSTGRES_URL =
  process.env.TASKAPP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Each test gets its own Postgres schema, dropped afterwards (never a shared one). */
export const postgres: ChaosBackend = {
  name: 'postgres',
  describe: (title, fn) => describeWithService('postgres', '127.0.0.1', 5432, title, fn),
  fresh: () => {
    const schema = `taskapp_chaos_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    return {
      env: {
        TASKAPP__BACKEND: 'postgres',
        TASKAPP__POSTGRES__URL: POSTGRES_URL,
        TASKAPP__POSTGRES__SCHEMA: schema,
      },
      options: { backend: 'postgres', postgres: { url: POSTGRES_URL, schema } },
      cleanup: async () => {
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      },
    };
  },
};

/** Server backends: several processes (hosts) on one storage. Also the multi-host and cron exactly-once tests. */
export const SHARED_BACKENDS: ChaosBackend[] = [redis, postgres, redisCluster];

/** Every chaos test runs on each of these. */
export const CHAOS_BACKENDS: ChaosBackend[] = [sqlite, ...SHARED_BACKENDS];
