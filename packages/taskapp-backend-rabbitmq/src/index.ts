/**
 * taskapp-backend-rabbitmq: the broker role on RabbitMQ; pair it with redis or postgres for the
 * others. Written against `taskapp/backend` only, as any backend package is (docs/backends.md);
 * taskapp maps its built-in name `rabbitmq` to this package.
 */
import { createLogger, defineBackend } from 'taskapp/backend';
import { RabbitBroker } from './broker.js';

export { RabbitBroker, type RabbitBrokerOptions } from './broker.js';
export { allQueues, topology, type Topology } from './topology.js';

export default defineBackend({
  name: 'rabbitmq',
  create: async ({ config }) => {
    const broker = await RabbitBroker.open({
      url: config.rabbitmq.url,
      queue: config.rabbitmq.queue ?? `taskapp.${config.app_id}`,
      prefetch: config.runner.claim_batch_size,
      logger: createLogger(config.logging_level, config.monitor.log_format, {
        app: config.app_id,
        backend: 'rabbitmq',
      }),
    });
    return { broker, close: () => broker.close() };
  },
});
