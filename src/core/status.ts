/**
 * The invocation status state machine (docs/architecture.md, section 3; same names as pynenc).
 * Every backend validates transitions through `checkTransition` (or, for Lua/SQL, through the
 * table exported here), so there is exactly one definition of what is legal.
 */
import { IllegalTransitionError, WrongOwnerError } from './errors.js';

export const STATUSES = [
  'REGISTERED',
  'CONCURRENCY_CONTROLLED',
  'CONCURRENCY_CONTROLLED_FINAL',
  'REROUTED',
  'PENDING',
  'PENDING_RECOVERY',
  'RUNNING',
  'RUNNING_RECOVERY',
  'PAUSED',
  'RESUMED',
  'KILLED',
  'SUCCESS',
  'FAILED',
  'RETRY',
  'CANCELLED',
] as const;
export type Status = (typeof STATUSES)[number];

/** Legal moves. PAUSED -> RUNNING_RECOVERY is added to the design's table: recovery of a dead
 * runner's PAUSED work (section 3's prose) needs it; RUNNING_RECOVERY -> FAILED ends an invocation
 * recovered `runner.max_recoveries` times (RecoveryLimitError) instead of rerunning it forever.
 * CANCELLED is taskapp's addition for `inv.cancel()` and `expiresAt`: pynenc's KILLED is a runner
 * giving work back (KILLED -> REROUTED), not an end, so a cancel needs a final status of its own.
 * Any caller may cancel a queued invocation; an owned one is cancelled by its owner (the runner
 * stops the work, then writes CANCELLED). */
export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  REGISTERED: ['PENDING', 'CONCURRENCY_CONTROLLED', 'CONCURRENCY_CONTROLLED_FINAL', 'CANCELLED'],
  CONCURRENCY_CONTROLLED: ['REROUTED', 'CANCELLED'],
  CONCURRENCY_CONTROLLED_FINAL: [],
  REROUTED: ['PENDING', 'CONCURRENCY_CONTROLLED', 'CANCELLED'],
  PENDING: ['RUNNING', 'KILLED', 'REROUTED', 'PENDING_RECOVERY', 'CANCELLED'],
  PENDING_RECOVERY: ['REROUTED'],
  RUNNING: ['PAUSED', 'KILLED', 'RETRY', 'SUCCESS', 'FAILED', 'RUNNING_RECOVERY', 'CANCELLED'],
  RUNNING_RECOVERY: ['REROUTED', 'FAILED'],
  PAUSED: ['RESUMED', 'KILLED', 'RUNNING_RECOVERY', 'CANCELLED'],
  RESUMED: ['PAUSED', 'KILLED', 'RETRY', 'SUCCESS', 'FAILED', 'RUNNING_RECOVERY', 'CANCELLED'],
  KILLED: ['REROUTED'],
  SUCCESS: [],
  FAILED: [],
  RETRY: ['PENDING', 'CANCELLED'],
  CANCELLED: [],
};

/** Statuses held by one runner: only that runner may move the invocation on. */
export const OWNED_STATUSES: ReadonlySet<Status> = new Set([
  'PENDING',
  'RUNNING',
  'PAUSED',
  'RESUMED',
]);
/** Moves any runner may make on another's invocation: recovery overrides ownership. */
export const RECOVERY_STATUSES: ReadonlySet<Status> = new Set([
  'PENDING_RECOVERY',
  'RUNNING_RECOVERY',
]);
export const FINAL_STATUSES: ReadonlySet<Status> = new Set([
  'SUCCESS',
  'FAILED',
  'CONCURRENCY_CONTROLLED_FINAL',
  'CANCELLED',
]);
/** Statuses a caller may move to CANCELLED itself (not owned): the invocation is not running anywhere. */
export const CANCELLABLE_STATUSES: ReadonlySet<Status> = new Set([
  'REGISTERED',
  'CONCURRENCY_CONTROLLED',
  'REROUTED',
  'RETRY',
]);
/**
 * Moves the owner may ask for again while already there: a wait hook sent twice (or retried after
 * its answer was lost) changes nothing and is answered with the record as it is, never an error.
 */
export const REPEATABLE_STATUSES: ReadonlySet<Status> = new Set(['PAUSED', 'RESUMED']);
/** Statuses an invocation sits in while it waits in a broker queue. */
export const QUEUED_STATUSES: ReadonlySet<Status> = new Set(['REGISTERED', 'REROUTED', 'RETRY']);

export function isStatus(s: string): s is Status {
  return (STATUSES as readonly string[]).includes(s);
}
export function isFinal(s: Status): boolean {
  return FINAL_STATUSES.has(s);
}

/** `from -> to` by `runnerId` is a repeat the state machine answers without a change (REPEATABLE_STATUSES). */
export function isRepeat(
  from: Status,
  to: Status,
  owner: string | null,
  runnerId: string | null,
): boolean {
  return from === to && REPEATABLE_STATUSES.has(to) && owner === runnerId;
}

/**
 * Validates `from -> to` by `runnerId` against the current `owner` and returns the owner after the
 * move. Throws IllegalTransitionError or WrongOwnerError.
 */
export function checkTransition(
  invocationId: string,
  from: Status,
  to: Status,
  owner: string | null,
  runnerId: string | null,
): string | null {
  if (!TRANSITIONS[from].includes(to)) {
    throw new IllegalTransitionError(invocationId, from, to);
  }
  const fromOwned = OWNED_STATUSES.has(from);
  if (fromOwned && !RECOVERY_STATUSES.has(to) && owner !== runnerId) {
    throw new WrongOwnerError(invocationId, from, to, owner, runnerId);
  }
  if (!OWNED_STATUSES.has(to)) {
    return null;
  }
  return fromOwned ? owner : runnerId;
}
