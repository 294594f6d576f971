import type { AcquireResult, InvocationRecord, TransitionRequest } from '../core/records.js';

/**
 * Owns status changes: each one validated against the state machine and the owner, atomic in the
 * backend, and appended to the invocation's history.
 */
export interface Orchestrator {
  /**
   * One validated change (with its `via` statuses first, all or nothing); throws
   * IllegalTransitionError, WrongOwnerError or InvocationNotFoundError.
   */
  transition(req: TransitionRequest, now: number): Promise<InvocationRecord>;
  /**
   * Many changes in one round trip. Each is validated alone: the result holds the new record or the
   * error for that request, in request order.
   */
  transitionMany(reqs: TransitionRequest[], now: number): Promise<Array<InvocationRecord | Error>>;
  /**
   * Claim step after the broker: those of `ids` still waiting (REGISTERED, REROUTED, RETRY) move to
   * PENDING owned by `runnerId`; the rest are skipped (duplicate delivery). Running concurrency and
   * rate limits are checked in the same atomic step (src/orchestration/concurrency.ts decide()):
   * a blocked one goes CONCURRENCY_CONTROLLED -> REROUTED and is returned in `requeue` for the
   * broker, or CONCURRENCY_CONTROLLED_FINAL.
   */
  acquire(ids: string[], runnerId: string, now: number): Promise<AcquireResult>;
  /** Invocations in `statuses` owned by runners not in `liveRunnerIds` (recovery). */
  ownedByOthers(liveRunnerIds: string[], statuses: string[]): Promise<InvocationRecord[]>;
  /**
   * Invocations in `statuses` owned by `runnerId` (its reconciliation: what the backend says it
   * holds, compared with what it runs, so work a lost write left on it is recovered).
   */
  ownedBy(runnerId: string, statuses: string[]): Promise<InvocationRecord[]>;
  /** Invocations in `status` whose last change is older than `before`. */
  staleIn(status: string, before: number): Promise<InvocationRecord[]>;
  /**
   * Recovery of invocations with no queue entry when broker and state are different servers
   * (composeHotPath): those of `ids` still in a queued status and unchanged since `before` are
   * marked changed at `now` (no status change, no history) and returned. Atomic per invocation, so
   * two passes never both requeue one, and one requeued is not looked at again before `before`
   * comes round once more.
   */
  claimStranded(ids: string[], before: number, now: number): Promise<InvocationRecord[]>;
  /**
   * A lease for a singleton job (recovery, cron): true when `holder` now holds `name` until
   * `now + ttlMs` (it was free, expired, or already held by `holder`).
   */
  tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /**
   * Deletes final invocations last changed before `before`, with their history and logs, never one
   * whose parent is not final (it may still read the child's result). With `scope.limit`, at most
   * that many per call (the caller repeats while a full batch went); `taskIds` / `exceptTaskIds`
   * narrow it to, or exclude, some tasks (per-task retention). Returns how many.
   */
  purge(before: number, scope?: PurgeScope): Promise<number>;
}

/** Which final invocations one `purge` call may delete (all: no limit, every task). */
export interface PurgeScope {
  limit?: number;
  taskIds?: string[];
  exceptTaskIds?: string[];
}

/** `transition` for a backend whose single change is its batch of one (no cheaper path). */
export async function transitionOne(
  o: Pick<Orchestrator, 'transitionMany'>,
  req: TransitionRequest,
  now: number,
): Promise<InvocationRecord> {
  const [out] = await o.transitionMany([req], now);
  if (out instanceof Error) {
    throw out;
  }
  return out!;
}
