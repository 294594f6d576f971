/**
 * The record-level effect of a validated status change, shared by the backends that validate in
 * JavaScript inside their own atomic section (memory: synchronous code; sqlite: one transaction).
 */
import { checkTransition, isRepeat, QUEUED_STATUSES, type Status } from '../core/status.js';
import type {
  HistoryEntry,
  InvocationRecord,
  QueueItem,
  RouteRequest,
  TransitionRequest,
} from '../core/records.js';

interface AppliedTransition {
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
  if (rec.callOptions) {
    next.callOptions = rec.callOptions;
  }
  return { record: next, entry: { status: req.to, runnerId: req.runnerId, at: now } };
}

/**
 * `req` with its `via` statuses first: the updated copy and one history entry per step; throws if
 * any step is not legal (then nothing is to be written).
 */
export function applyPath(
  rec: InvocationRecord,
  req: TransitionRequest,
  now: number,
): { record: InvocationRecord; entries: HistoryEntry[] } {
  if (!req.via?.length) {
    const { record, entry } = applyTransition(rec, req, now);
    return { record, entries: [entry] };
  }
  let record = rec;
  const entries: HistoryEntry[] = [];
  for (const to of req.via) {
    const step = applyTransition(record, { id: req.id, to, runnerId: req.runnerId }, now);
    record = step.record;
    entries.push(step.entry);
  }
  const last = applyTransition(record, req, now);
  entries.push(last.entry);
  return { record: last.record, entries };
}

/** The queue entry a change that landed on `rec` needs: one when it is in a queued status. */
export function routeFor(rec: InvocationRecord, req: RouteRequest): QueueItem | null {
  return QUEUED_STATUSES.has(rec.status)
    ? { id: rec.id, priority: rec.priority, notBefore: req.notBefore }
    : null;
}

/** True when some of `reqs` may land in a queued status, so they need HotPath.transitionAndRoute. */
export function mayRoute(reqs: RouteRequest[]): boolean {
  return reqs.some((r) => QUEUED_STATUSES.has(r.to));
}

/** Statuses `acquire` takes from the queue into PENDING. */
export const ACQUIRABLE: ReadonlySet<Status> = new Set(['REGISTERED', 'REROUTED', 'RETRY']);
