import {
  CLUSTER_URLS,
  deleteClusterKeys,
  describeWithRedisCluster,
} from '../helpers/redis-cluster.js';
import { testPrefix } from '../helpers/redis-keys.js';
import { complianceSuite } from './suite.js';

// The whole suite on the local 3-master cluster (scripts/services redis-cluster), an app over 6
// shards so that each master holds two.
const prefix = testPrefix('compliance-cluster');
let n = 0;
await describeWithRedisCluster('redis cluster backend', () => {
  complianceSuite({
    name: 'redis-cluster',
    shared: true,
    freshConfig: () => ({
      backend: 'redis',
      redis: { cluster: CLUSTER_URLS, shards: 6, prefix: `${prefix}${n++}:` },
    }),
    cleanup: async () => {
      await deleteClusterKeys(prefix);
    },
  });
});
