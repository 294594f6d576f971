/**
 * The RabbitMQ broker against taskapp/testing, as its own package's test would run it: the broker
 * role chosen by package name (`broker = "taskapp-backend-rabbitmq"`), state on Redis, against the
 * real servers. Server checks and cleanup use the repository's test helpers.
 */
import { backendSuite } from 'taskapp/testing';
import { deleteKeys, REDIS_URL, testPrefix } from '../../../test/helpers/redis-keys.js';
import { deleteQueues, RABBITMQ_URL, testQueue } from '../../../test/helpers/rabbitmq.js';
import { describeWithService } from '../../../test/helpers/services.js';

const prefix = testPrefix('rabbit');
const queues: string[] = [];
let n = 0;
await describeWithService('redis', '127.0.0.1', 6379, 'redis + rabbitmq', async () => {
  await describeWithService('rabbitmq', '127.0.0.1', 5672, 'taskapp-backend-rabbitmq', () => {
    backendSuite('redis+rabbitmq', {
      shared: true,
      freshConfig: () => {
        const queue = testQueue('compliance');
        queues.push(queue);
        return {
          backend: 'redis',
          broker: 'taskapp-backend-rabbitmq',
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
