/**
 * What the dashboard may change (only with `taskapp web --allow-actions`): rerun an invocation
 * (a new call of the same task with the same arguments), cancel one, and purge finished work.
 */
import type { Runtime } from '../runtime/runtime.js';
import { TaskappError } from '../core/errors.js';
import { purgeInvocations } from '../runtime/purge.js';
import { rerunInvocation } from '../runtime/rerun.js';
import { cancelInvocations, type CancelResult } from '../runtime/cancel.js';

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

/** Cancels one invocation (and, with `children: true`, what it waits on); body `{reason?, children?}`. */
export async function cancel(app: Runtime, id: string, body: unknown): Promise<CancelResult[]> {
  const { reason, children } = (body ?? {}) as { reason?: unknown; children?: unknown };
  if (reason !== undefined && typeof reason !== 'string') {
    throw new TaskappError('BAD_ACTION', `cancel: reason must be a string, got ${typeof reason}`, {
      fix: 'send {"reason": "why", "children": false}',
      exitCode: 2,
    });
  }
  if (children !== undefined && typeof children !== 'boolean') {
    throw new TaskappError(
      'BAD_ACTION',
      `cancel: children must be true or false, got ${typeof children}`,
      { fix: 'send {"reason": "why", "children": true}', exitCode: 2 },
    );
  }
  return cancelInvocations(app, [id], {
    ...(reason !== undefined ? { reason } : {}),
    children: children === true,
  });
}
