/**
 * Dev mode (`dev_mode_force_sync`): no runner, so no trigger loop. Status, result, exception and
 * event triggers fire inline instead, before call() / emit() return, so tests of task logic see
 * them; cron schedules do not run.
 */
import type { Runtime } from '../runtime/runtime.js';
import type { InvocationRecord } from '../core/records.js';
import { TriggerScheduler } from './scheduler.js';

const schedulers = new WeakMap<Runtime, Promise<TriggerScheduler | null>>();

function devScheduler(app: Runtime): Promise<TriggerScheduler | null> {
  let s = schedulers.get(app);
  if (!s) {
    s = app.backends().then((b) => {
      const t = new TriggerScheduler(app, b);
      return t.empty ? null : t;
    });
    schedulers.set(app, s);
  }
  return s;
}

export async function devFinal(app: Runtime, recs: InvocationRecord[]): Promise<void> {
  await (await devScheduler(app))?.handleFinal(recs);
}

export async function devEvents(app: Runtime): Promise<void> {
  await (await devScheduler(app))?.processEvents();
}
