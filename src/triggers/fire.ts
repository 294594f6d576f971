/**
 * Firing a trigger: claim its run id once across all runners, build the arguments, and register
 * the invocation under an id derived from the run id, so a second attempt at the same fire (a
 * repair after a crash, a late peer) can never create a second invocation.
 */
import { createHash } from 'node:crypto';
import type { Runtime } from '../runtime/runtime.js';
import type { Backends } from '../backends/registry.js';
import { defaultArgs } from './args.js';
import type { TriggerDef } from './definitions.js';
import type { TriggerContext } from './types.js';

/** A UUID-shaped id, the same in every process for the same app and run id. */
export function invocationIdFor(appId: string, runId: string): string {
  const h = createHash('sha256').update(`${appId}\0${runId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const cronRunId = (triggerId: string, slot: number): string => `${triggerId}@cron:${slot}`;

/**
 * Claims `runId` (unless `claimed`) and registers the task's invocation. Returns its id, or null
 * when another runner already fired this run.
 */
export async function fireTrigger(
  app: Runtime,
  b: Backends,
  def: TriggerDef,
  ctx: TriggerContext,
  runId: string,
  claimed = false,
): Promise<string | null> {
  if (!claimed && !(await b.triggers.claimRun(runId, Date.now()))) {
    return null;
  }
  const task = app.getTask(def.taskId);
  const id = invocationIdFor(app.appId, runId);
  if (!task) {
    app.logger.error('trigger fired for an unknown task', { trigger: def.id, task: def.taskId });
    return null;
  }
  try {
    const args = await (def.trigger.argsProvider ?? defaultArgs)(ctx);
    await task.callWithId(id, args);
    app.logger.debug('trigger fired', { trigger: def.id, run: runId, invocation: id });
    return id;
  } catch (err) {
    // The claim is spent: say loudly which fire was lost and why (a provider bug, a bad argument).
    if (await b.state.get(id).catch(() => null)) {
      return id;
    }
    app.logger.error('trigger could not start its task', {
      trigger: def.id,
      run: runId,
      error: (err as Error).message,
    });
    return null;
  }
}
