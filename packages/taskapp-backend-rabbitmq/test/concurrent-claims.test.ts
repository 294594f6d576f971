/**
 * Claims of one broker at the same time: each pull acks its deliveries with one `multiple` ack up
 * to its last, which must not cover another pull's (RabbitMQ closes the channel on a tag acked
 * twice: "unknown delivery tag", seen in the compliance suite).
 */
import { afterAll, expect, it } from 'vitest';
import { createLogger } from 'taskapp/backend';
import { RabbitBroker } from '../src/broker.js';
import { deleteQueues, RABBITMQ_URL, testQueue } from '../../../test/helpers/rabbitmq.js';
import { describeWithService } from '../../../test/helpers/services.js';

const queues: string[] = [];

await describeWithService('rabbitmq', '127.0.0.1', 5672, 'rabbitmq concurrent claims', () => {
  afterAll(() => deleteQueues(queues));

  it('eight claims of different sizes at once on one broker take every id once, and the channel stays open', async () => {
    const queue = testQueue('concurrent');
    queues.push(queue);
    const broker = await RabbitBroker.open({
      url: RABBITMQ_URL,
      queue,
      prefetch: 50,
      logger: createLogger('error'),
    });
    try {
      const ids = Array.from({ length: 2000 }, (_, i) => `id${i}`);
      await broker.route(ids.map((id) => ({ id, priority: 5 })));
      // Of different sizes, so one pull ends while another's deliveries are still unacked.
      const claimers = [13, 1, 7, 2, 13, 1, 5, 3].map(async (max) => {
        const got: string[] = [];
        for (;;) {
          const part = await broker.claim(max, 0);
          if (!part.length) {
            return got;
          }
          got.push(...part);
        }
      });
      const all = (await Promise.all(claimers)).flat();
      expect(all.length).toBe(2000);
      expect(new Set(all).size).toBe(2000);
      expect(await broker.count()).toBe(0);
    } finally {
      await broker.close();
    }
  });
});
