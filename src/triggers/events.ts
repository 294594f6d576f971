/** app.emit(): stores an event for event triggers; every runner scans the stored events. */
import { randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime/runtime.js';
import { TaskappError } from '../core/errors.js';

export async function emitEvent(
  app: Runtime,
  code: string,
  payload: unknown = {},
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
  const { triggers } = await app.backends();
  await triggers.addEvent({
    id,
    code,
    payload: app.serializer.serialize(payload ?? null, 'event payload'),
    at: Date.now(),
  });
  if (app.devMode) {
    await (await import('./dev.js')).devEvents(app);
  }
  return id;
}
