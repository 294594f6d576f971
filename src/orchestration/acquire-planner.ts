/**
 * The acquire planner: what happens to each waiting invocation a runner claims, decided once for
 * every backend. A backend reads the scope windows inside its atomic section (transaction / event
 * loop turn), asks `planAcquire` for each invocation in turn and writes what the plans say; the
 * Redis acquire script (backends/redis/lua/lib.lua, acquire_one) is the one port of it, checked
 * against it by the compliance suite (src/testing/suites/acquire-plans.ts).
 */
import type { ConcurrencyControl, InvocationRecord, QueueItem } from '../core/records.js';
import type { Status } from '../core/status.js';
import { blockedPath, decide, type Decision } from './concurrency.js';

/** A recorded rate-limit start (`holder` null) or a slot reserved by the invocation `holder`. */
export interface RateMark {
  at: number;
  holder: string | null;
}

/**
 * One running scope as storage holds it: `active`, invocations holding a slot now; `marks`, its
 * rate-limit starts and reservations (any order; those out of the window are ignored).
 */
export interface ScopeWindow {
  active: number;
  marks: RateMark[];
}

/** The rate-limit bookkeeping of a start: drop marks at or before `windowStart` and `id`'s reservation, record `startAt`. */
export interface RateStart {
  key: string;
  windowStart: number;
  startAt: number;
  /** The invocation held a reservation, now spent. */
  reserved: boolean;
}

export type AcquirePlan =
  | { kind: 'run'; id: string; rate?: RateStart }
  | {
      kind: 'blocked';
      id: string;
      decision: Exclude<Decision, { kind: 'run' }>;
      /** Statuses it goes through, in order (none: it waits in the queue unchanged). */
      path: Status[];
      /** Back to the queue with this not-before; absent when it ends CONCURRENCY_CONTROLLED_FINAL. */
      requeue?: QueueItem & { notBefore: number };
      /** A rate-limit slot it reserves: record `at` held by it under `key`. */
      reserve?: { key: string; at: number };
    };

/** What the planner reads of an invocation. */
export type AcquireCandidate = Pick<InvocationRecord, 'id' | 'status' | 'priority' | 'concurrency'>;

/** Marks at or before this time have left the rate window of `cc` at `now` (`now` with no rate). */
function rateWindowStart(cc: ConcurrencyControl, now: number): number {
  return cc.rateWindowMs === undefined ? now : now - cc.rateWindowMs;
}

const byTime = (x: RateMark, y: RateMark) => x.at - y.at;

/**
 * Plans one acquire of `rec` at `now` given its scope's window (`scope`, required when the
 * invocation has running concurrency), and updates `scope` in place as the plan leaves it, so the
 * next invocation of the same scope in the batch sees this one's start or reservation.
 */
export function planAcquire(
  rec: AcquireCandidate,
  scope: ScopeWindow | undefined,
  now: number,
): AcquirePlan {
  const cc = rec.concurrency;
  if (!cc) {
    return { kind: 'run', id: rec.id };
  }
  if (!scope) {
    throw new Error(`acquire planner: no window read for scope "${cc.key}"`);
  }
  const windowStart = rateWindowStart(cc, now);
  const limited = cc.rateCount !== undefined && cc.rateWindowMs !== undefined;
  const inWindow = limited ? scope.marks.filter((m) => m.at > windowStart).sort(byTime) : [];
  const own = inWindow.find((m) => m.holder === rec.id);
  const others = inWindow.filter((m) => m.holder !== rec.id);
  const d = decide(
    cc,
    rec.status,
    scope.active,
    others.map((m) => m.at),
    now,
    own?.at,
  );
  if (d.kind === 'run') {
    scope.active += 1;
    if (!limited) {
      return { kind: 'run', id: rec.id };
    }
    scope.marks = [...others, { at: d.startAt, holder: null }].sort(byTime);
    return {
      kind: 'run',
      id: rec.id,
      rate: { key: cc.key, windowStart, startAt: d.startAt, reserved: own !== undefined },
    };
  }
  const plan: AcquirePlan = {
    kind: 'blocked',
    id: rec.id,
    decision: d,
    path: blockedPath(rec.status, d),
  };
  if (d.kind !== 'final') {
    plan.requeue = { id: rec.id, priority: rec.priority, notBefore: d.notBefore };
  }
  if (d.kind === 'requeue' && d.reserve) {
    scope.marks = [...inWindow, { at: d.notBefore, holder: rec.id }].sort(byTime);
    plan.reserve = { key: cc.key, at: d.notBefore };
  }
  return plan;
}

/** The distinct scope keys of the invocations that have running concurrency. */
export function scopeKeys(recs: Iterable<AcquireCandidate>): string[] {
  const keys = new Set<string>();
  for (const r of recs) {
    if (r.concurrency) {
      keys.add(r.concurrency.key);
    }
  }
  return [...keys];
}
