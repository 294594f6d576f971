import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { deleteQueues, RABBITMQ_URL, testQueue } from '../helpers/rabbitmq.js';
import { describeWithService } from '../helpers/services.js';
import { complianceSuite } from './suite.js';

const prefix = testPrefix('rabbit');
const queues: string[] = [];
let n = 0;
await describeWithService('redis', '127.0.0.1', 6379, 'redis + rabbitmq', async () => {
  await describeWithService('rabbitmq', '127.0.0.1', 5672, 'rabbitmq broker', () => {
    complianceSuite({
      name: 'redis+rabbitmq',
      shared: true,
      freshConfig: () => {
        const queue = testQueue('compliance');
        queues.push(queue);
        return {
          backend: 'redis',
          broker: 'rabbitmq',
          redis: { url: REDIS_URL, prefix: `${prefix}${n++}:` },
          rabbitmq: { url: RABBITMQ_URL, queue },
        };
      },
      cleanup: async () => {
        await deleteKeys(prefix);
        await deleteQueues(queues);
      },
    });
  });
});
