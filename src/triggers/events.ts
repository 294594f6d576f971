/** app.emit(): stores an event for event triggers; every runner scans the stored events. */
import { randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime/runtime.js';
import { TaskappError } from '../core/errors.js';
import type { TxHandle } from '../backends/tx-enqueue.js';
import { txEnqueueOf } from '../runtime/tx-enqueue.js';

export async function emitEvent(
  app: Runtime,
  code: string,
  payload: unknown = {},
  opts: { tx?: TxHandle } = {},
): Promise<string> {
  if (typeof code !== 'string' || !code.trim()) {
    throw new TaskappError(
      'INVALID_EVENT',
      `an event code must be a non-empty string, got ${JSON.stringify(code)}`,
      { fix: 'e.g. app.emit("user.signup", { userId: 7 })', exitCode: 2 },
    );
  }
  if (code.startsWith('taskapp.')) {
    throw new TaskappError(
      'INVALID_EVENT',
      `event code "${code}" is reserved (codes starting with "taskapp." are internal)`,
      { fix: 'choose another prefix, e.g. "app.' + code.slice(8) + '"', exitCode: 2 },
    );
  }
  const id = randomUUID();
  const event = {
    id,
    code,
    payload: app.serializer.serialize(payload ?? null, 'event payload'),
    at: Date.now(),
  };
  if (opts.tx !== undefined) {
    // Stored through the caller's transaction: triggers see it once that commits.
    await txEnqueueOf(app, await app.backends(), `emit("${code}")`).addEvent(opts.tx, event);
    return id;
  }
  const { triggers } = await app.backends();
  await triggers.addEvent(event);
  if (app.devMode) {
    await (await import('./dev.js')).devEvents(app);
  }
  return id;
}
