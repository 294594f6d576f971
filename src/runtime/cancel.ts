/**
 * Cancelling invocations (inv.cancel(), taskapp cancel, the dashboard): a queued one is moved to
 * CANCELLED here, through the state machine, and never runs; one a runner holds is asked to stop
 * through the backend's cancel channel, and its runner writes CANCELLED once the work has stopped
 * (runners/cancel-tracker.ts). With `children`, what it waits on is cancelled too, down the tree.
 */
import {
  IllegalTransitionError,
  InvocationCancelledError,
  InvocationNotFoundError,
  TaskappError,
  WrongOwnerError,
} from '../core/errors.js';
import { CANCELLABLE_STATUSES, isFinal, type Status } from '../core/status.js';
import type { Backends } from '../backends/backends.js';
import type { Runtime } from './runtime.js';

export interface CancelOptions {
  /** Why (kept with the invocation, shown by `result()`'s InvocationCancelledError). */
  reason?: string;
  /** Also cancel the invocations it called and has not finished (its children, theirs, ...). */
  children?: boolean;
}

/**
 * `cancelled`: it was waiting and is now CANCELLED. `requested`: a runner holds it and was asked to
 * stop it (it goes CANCELLED once the work stopped). `finished`: it was already final.
 */
export type CancelOutcome = 'cancelled' | 'requested' | 'finished';

export interface CancelResult {
  id: string;
  outcome: CancelOutcome;
  /** Its status after the call. */
  status: Status;
}

export const DEFAULT_CANCEL_REASON = 'cancelled by request';
export const MAX_CANCEL_REASON = 1000;
/** How many invocations one cancel may reach with `children` (a tree larger than this is refused). */
export const MAX_CANCEL_TREE = 10_000;
/** Re-reads of one invocation that changed under the cancel (a runner claimed it meanwhile). */
const MAX_RACES = 10;

export function checkCancelReason(reason: string | undefined, from = 'reason'): string {
  if (reason === undefined) {
    return DEFAULT_CANCEL_REASON;
  }
  if (typeof reason !== 'string' || reason.length > MAX_CANCEL_REASON) {
    throw new TaskappError(
      'BAD_PARAMETER',
      `${from}: expected a string of at most ${MAX_CANCEL_REASON} characters, got ${typeof reason === 'string' ? `${reason.length} characters` : typeof reason}`,
      { fix: `shorten the ${from}`, exitCode: 2 },
    );
  }
  return reason;
}

export async function cancelInvocations(
  rt: Runtime,
  ids: string[],
  opts: CancelOptions = {},
): Promise<CancelResult[]> {
  const reason = checkCancelReason(opts.reason);
  const b = await rt.backends();
  const out: CancelResult[] = [];
  const seen = new Set<string>();
  let level = [...ids];
  while (level.length) {
    const next: string[] = [];
    for (const id of level) {
      if (seen.has(id)) {
        continue;
      }
      seen.add(id);
      if (seen.size > MAX_CANCEL_TREE) {
        throw new TaskappError(
          'BAD_PARAMETER',
          `cancel reaches more than ${MAX_CANCEL_TREE} invocations; ${out.length} were cancelled or asked to stop`,
          { fix: 'cancel the tree in parts (taskapp cancel on its branches)', exitCode: 2 },
        );
      }
      out.push(await cancelOne(rt, b, id, reason));
      if (opts.children) {
        const kids = await b.state.list({ parentId: id, limit: MAX_CANCEL_TREE });
        next.push(...kids.filter((k) => !isFinal(k.status)).map((k) => k.id));
      }
    }
    level = next;
  }
  return out;
}

async function cancelOne(
  rt: Runtime,
  b: Backends,
  id: string,
  reason: string,
): Promise<CancelResult> {
  for (let race = 0; ; race++) {
    const rec = await b.state.get(id);
    if (!rec) {
      throw new InvocationNotFoundError(id);
    }
    if (isFinal(rec.status)) {
      return { id, outcome: 'finished', status: rec.status };
    }
    if (CANCELLABLE_STATUSES.has(rec.status) && race < MAX_RACES) {
      try {
        const done = await b.orchestrator.transition(
          { id, to: 'CANCELLED', runnerId: null, error: cancelledError(rt, id, reason) },
          Date.now(),
        );
        rt.notifyFinal([done]);
        return { id, outcome: 'cancelled', status: done.status };
      } catch (err) {
        // Claimed (or finished) between the read and the write: look again.
        if (err instanceof IllegalTransitionError || err instanceof WrongOwnerError) {
          continue;
        }
        throw err;
      }
    }
    // A runner holds it (or it is passing between runners): the one that holds it stops it.
    await b.cancels.publish([{ id, reason }]);
    return { id, outcome: 'requested', status: rec.status };
  }
}

/** The stored error of a cancelled invocation: `result()` rejects with it. */
export function cancelledError(rt: Runtime, id: string, reason: string): string {
  const err = new InvocationCancelledError(id, reason);
  // The canceller's call stack says nothing about the invocation: keep the message only.
  err.stack = `${err.name}: ${err.message}`;
  return rt.errors.serialize(err, rt.serializer);
}
