/**
 * The record-level effect of a validated status change, shared by the backends that validate in
 * JavaScript inside their own atomic section (memory: synchronous code; sqlite: one transaction).
 */
import { checkTransition, type Status } from '../core/status.js';
import type { HistoryEntry, InvocationRecord, TransitionRequest } from '../core/records.js';

export interface AppliedTransition {
  record: InvocationRecord;
  entry: HistoryEntry;
}

/** Returns the updated copy of `rec` and its history entry; throws if the change is not legal. */
export function applyTransition(rec: InvocationRecord, req: TransitionRequest, now: number): AppliedTransition {
  const owner = checkTransition(rec.id, rec.status, req.to, rec.owner, req.runnerId);
  const next: InvocationRecord = {
    ...rec,
    status: req.to,
    owner,
    updatedAt: now,
    attempt: req.to === 'RUNNING' ? rec.attempt + 1 : rec.attempt,
  };
  if (req.result !== undefined) next.result = req.result;
  if (req.error !== undefined) next.error = req.error;
  return { record: next, entry: { status: req.to, runnerId: req.runnerId, at: now } };
}

/** Statuses `acquire` takes from the queue into PENDING. */
export const ACQUIRABLE: ReadonlySet<Status> = new Set(['REGISTERED', 'REROUTED', 'RETRY']);
