/**
 * What the dashboard may change (only with `taskapp web --allow-actions`): rerun an invocation
 * (a new call of the same task with the same arguments) and purge finished work.
 */
import type { Runtime } from '../runtime/runtime.js';
import { TaskappError } from '../core/errors.js';
import { purgeInvocations } from '../runtime/purge.js';
import { rerunInvocation } from '../runtime/rerun.js';

export async function rerun(app: Runtime, id: string): Promise<{ id: string; rerunOf: string }> {
  return rerunInvocation(app, id);
}

/** Deletes final invocations (SUCCESS, FAILED, CONCURRENCY_CONTROLLED_FINAL) last changed more than `olderThanSeconds` ago. */
export async function purgeFinished(
  app: Runtime,
  olderThanSeconds: number,
): Promise<{ purged: number }> {
  if (!Number.isFinite(olderThanSeconds) || olderThanSeconds < 0) {
    throw new TaskappError(
      'BAD_ACTION',
      `purge: olderThanSeconds must be a number >= 0, got ${olderThanSeconds}`,
      { fix: 'send {"olderThanSeconds": 3600}', exitCode: 2 },
    );
  }
  const { purged } = await purgeInvocations(app, Date.now() - olderThanSeconds * 1000);
  return { purged };
}
