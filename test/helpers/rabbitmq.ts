/** Per-run RabbitMQ queue names for tests, and their cleanup (only the queues this run made). */
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { allQueues, topology } from '../../packages/taskapp-backend-rabbitmq/src/topology.js';

export const RABBITMQ_URL =
  process.env.TASKAPP_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function testQueue(kind: string): string {
  return `taskapp-test.${kind}.${randomUUID().slice(0, 8)}`;
}

/** Deletes the queues and exchange of each app queue name. */
export async function deleteQueues(names: string[], url = RABBITMQ_URL): Promise<void> {
  if (!names.length) {
    return;
  }
  const conn = await connect(url);
  try {
    const ch = await conn.createChannel();
    for (const name of names) {
      const t = topology(name);
      for (const q of allQueues(t)) {
        await ch.deleteQueue(q);
      }
      await ch.deleteExchange(t.exchange);
    }
  } finally {
    await conn.close();
  }
}
