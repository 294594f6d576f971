/**
 * `call --wait` and `status --watch` wait for runners: when none of the app is alive they would
 * wait forever in silence. This says so before the wait starts, and names the way out.
 */
import type { App } from '../app/app.js';
import { runtimeOf } from '../runtime/runtime.js';

/** A note for stderr when no runner of `app` has sent a heartbeat recently; null when one is alive. */
export async function noRunnerNote(app: App, waitFlag: string): Promise<string | null> {
  if (app.devMode) {
    return null;
  }
  const { state } = await runtimeOf(app).backends();
  const deadAfterMs = app.config.runner.runner_dead_after_seconds * 1000;
  const now = Date.now();
  const alive = (await state.runners()).some((r) => r.heartbeatAt >= now - deadAfterMs);
  if (alive) {
    return null;
  }
  return `no runner of app "${app.appId}" is alive (none sent a heartbeat in the last ${app.config.runner.runner_dead_after_seconds} s): ${waitFlag} waits until one starts (taskapp run); pass --timeout SECONDS to give up`;
}
