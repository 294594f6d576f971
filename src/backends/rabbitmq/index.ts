/** The rabbitmq backend: the broker role only; pair it with redis or postgres for the others. */
import { createLogger } from '../../core/logger.js';
import type { BackendFactory } from '../backends.js';
import { RabbitBroker } from './broker.js';

export const createRabbitBackend: BackendFactory = async ({ config }) => {
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
};
