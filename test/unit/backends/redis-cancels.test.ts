/**
 * A runner subscribes to cancel requests as it starts, and a request published once its
 * subscription is ready reaches it. The SUBSCRIBE went out without being awaited: a cancel sent
 * right after a runner started could go before it (on the cluster, the subscriber's connection is a
 * cluster client of its own) and be lost; the invocation then ran on (compliance suite, cluster).
 */
import { expect, it } from 'vitest';
import type { CancelRequest } from '../../../src/backends/cancel-signals.js';
import { openBackends } from '../../compliance/harness.js';
import { CLUSTER_URLS, describeWithRedisCluster } from '../../helpers/redis-cluster.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../../helpers/redis-keys.js';
import { describeWithService } from '../../helpers/services.js';
import { until } from '../../helpers/until.js';
import type { TaskappOptions } from '../../../src/index.js';

const prefix = testPrefix('cancel-sub');

async function heardAfterReady(cfg: TaskappOptions): Promise<CancelRequest[]> {
  const [runner, canceller] = await Promise.all([openBackends(cfg), openBackends(cfg)]);
  try {
    const heard: CancelRequest[] = [];
    runner.cancels.subscribe((reqs) => heard.push(...reqs));
    await runner.cancels.ready?.();
    await canceller.cancels.publish([{ id: 'x', reason: 'stop' }]);
    await until(() => heard.length > 0, 5000);
    return heard;
  } finally {
    await Promise.all([runner.close(), canceller.close()]);
  }
}

await describeWithService('redis', '127.0.0.1', 6379, 'redis cancel subscription', () => {
  it('a request published once the subscription is ready reaches it', async () => {
    const cfg = { backend: 'redis', redis: { url: REDIS_URL, prefix: `${prefix}a:` } } as const;
    try {
      expect(await heardAfterReady(cfg)).toEqual([{ id: 'x', reason: 'stop' }]);
    } finally {
      await deleteKeys(prefix);
    }
  });
});

await describeWithRedisCluster('redis cluster cancel subscription', () => {
  it('a request published once the subscription is ready reaches it', async () => {
    const cfg = {
      backend: 'redis',
      redis: { cluster: CLUSTER_URLS, shards: 3, prefix: `${prefix}c:` },
    } as const;
    expect(await heardAfterReady(cfg)).toEqual([{ id: 'x', reason: 'stop' }]);
  });
});
