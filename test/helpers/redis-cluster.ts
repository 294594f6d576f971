/**
 * The local 3-master Redis Cluster (scripts/services redis-cluster: 127.0.0.1:7001-7003) for the
 * suites that run on a cluster: started here when it is down and redis-server is installed; then
 * skipped, or failed under TASKAPP_TEST_SERVICES=required, like every real-server suite.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cluster } from 'ioredis';
import { describeWithService, reachable } from './services.js';
import { deleteKeysOn } from './redis-keys.js';

export const CLUSTER_PORTS = [7001, 7002, 7003];
export const CLUSTER_URLS = CLUSTER_PORTS.map((p) => `redis://127.0.0.1:${p}`);

const SERVICES = fileURLToPath(new URL('../../scripts/services', import.meta.url));

async function ensureCluster(): Promise<void> {
  const up = await Promise.all(CLUSTER_PORTS.map((p) => reachable('127.0.0.1', p)));
  if (up.every(Boolean)) {
    return;
  }
  try {
    execFileSync(SERVICES, ['redis-cluster'], { stdio: 'ignore', timeout: 90_000 });
  } catch {
    // describeWithService reports it below.
  }
}

/** describe() on the local cluster (started if it can be). */
export async function describeWithRedisCluster(name: string, fn: () => void): Promise<void> {
  await ensureCluster();
  const ports = await Promise.all(CLUSTER_PORTS.map((p) => reachable('127.0.0.1', p)));
  const down = CLUSTER_PORTS.find((_, i) => !ports[i]) ?? CLUSTER_PORTS[0]!;
  await describeWithService(
    'redis-cluster',
    '127.0.0.1',
    ports.every(Boolean) ? CLUSTER_PORTS[0]! : down,
    name,
    fn,
  );
}

/** Deletes every key under `prefix` on every master of the cluster (SCAN + DEL per node). */
export async function deleteClusterKeys(prefix: string): Promise<number> {
  const c = new Cluster(CLUSTER_URLS, {
    lazyConnect: true,
    redisOptions: { maxRetriesPerRequest: 2 },
  });
  await c.connect();
  let n = 0;
  try {
    for (const node of c.nodes('master')) {
      n += await deleteKeysOn(node, prefix, true);
    }
  } finally {
    c.disconnect();
  }
  return n;
}
