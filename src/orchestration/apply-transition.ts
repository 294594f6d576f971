/**
 * The record-level effect of a validated status change, shared by the backends that validate in
 * JavaScript inside their own atomic section (memory: synchronous code; sqlite: one transaction).
 */
import { checkTransition, isRepeat, type Status } from '../core/status.js';
import type { HistoryEntry, InvocationRecord, TransitionRequest } from '../core/records.js';

export interface AppliedTransition {
  record: InvocationRecord;
  entry: HistoryEntry;
}

/** True when `req` asks `rec`'s owner to repeat its current PAUSED/RESUMED: nothing to write, `rec` is the answer. */
export function isRepeated(rec: InvocationRecord, req: TransitionRequest): boolean {
  return isRepeat(rec.status, req.to, rec.owner, req.runnerId);
}

/** Returns the updated copy of `rec` and its history entry; throws if the change is not legal. */
export function applyTransition(
  rec: InvocationRecord,
  req: TransitionRequest,
  now: number,
): AppliedTransition {
  const owner = checkTransition(rec.id, rec.status, req.to, rec.owner, req.runnerId);
  // Field by field, in the stored order: a spread copy keeps only a few fields in the object itself
  // and the rest in a separate property array, for every record a backend keeps in memory.
  const next: InvocationRecord = {
    id: rec.id,
    taskId: rec.taskId,
    args: rec.args,
    priority: rec.priority,
    parentId: rec.parentId,
    workflowId: rec.workflowId,
    concurrency: rec.concurrency,
    status: req.to,
    owner,
    attempt: req.to === 'RUNNING' ? rec.attempt + 1 : rec.attempt,
    result: req.result !== undefined ? req.result : rec.result,
    error: req.error !== undefined ? req.error : rec.error,
    createdAt: rec.createdAt,
    updatedAt: now,
  };
  return { record: next, entry: { status: req.to, runnerId: req.runnerId, at: now } };
}

/** Statuses `acquire` takes from the queue into PENDING. */
export const ACQUIRABLE: ReadonlySet<Status> = new Set(['REGISTERED', 'REROUTED', 'RETRY']);
