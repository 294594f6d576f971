import { describeWithService } from '../helpers/services.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { complianceSuite } from 'taskapp/testing';

const prefix = testPrefix('compliance');
let n = 0;
await describeWithService('redis', '127.0.0.1', 6379, 'redis backend', () => {
  complianceSuite({
    name: 'redis',
    shared: true,
    freshConfig: () => ({
      backend: 'redis',
      redis: { url: REDIS_URL, prefix: `${prefix}${n++}:` },
    }),
    cleanup: async () => {
      await deleteKeys(prefix);
    },
  });
});
