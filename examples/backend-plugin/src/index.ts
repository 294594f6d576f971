/**
 * taskapp-backend-example: a complete backend package in three small files, the walk-through of
 * docs/backends.md. It serves the broker role from a queue in this process (so: one process
 * only); the state and the other roles come from another backend:
 *
 *   backend = "sqlite"
 *   broker = "taskapp-backend-example"
 *   [plugins.taskapp-backend-example]
 *   queue = "jobs"
 */
import { ConfigError, defineBackend } from 'taskapp/backend';
import { LocalBroker } from './broker.js';
import { queueNamed } from './queue.js';

export default defineBackend({
  name: 'example',
  create: async ({ config }, options) => {
    const queue = options.queue ?? `taskapp.${config.app_id}`;
    if (typeof queue !== 'string' || !queue) {
      // Bad input fails at start, naming the field, the value and the fix.
      throw new ConfigError(
        `plugins.taskapp-backend-example.queue must be a queue name, got ${JSON.stringify(queue)}`,
        'set queue = "a-name" under [plugins.taskapp-backend-example], or leave it out',
      );
    }
    const broker = new LocalBroker(queueNamed(queue));
    return { broker, close: () => broker.close() };
  },
});
