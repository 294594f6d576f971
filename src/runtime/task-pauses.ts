/**
 * Pausing a task's processing (app.pauseTask, taskapp task pause, issue 19 item 5): the backend's
 * TaskPauses role, or a clear error where the backends in use cannot park entries (a broker on
 * another server than the state, e.g. rabbitmq, or a backend without pausing yet).
 */
import { ConfigError } from '../core/errors.js';
import type { TaskPauses } from '../backends/task-pauses.js';
import type { Runtime } from './runtime.js';

export async function taskPausesOf(rt: Runtime): Promise<TaskPauses> {
  const b = await rt.backends();
  if (!b.pauses) {
    throw new ConfigError(
      `pausing a task is not supported with broker "${b.names.broker}" and state backend "${b.names.state}"`,
      'use one backend for broker and state: memory, sqlite, redis or postgres',
    );
  }
  return b.pauses;
}
