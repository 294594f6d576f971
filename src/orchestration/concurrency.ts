/**
 * Concurrency control decisions, shared by every backend. The backend gathers the counts inside its
 * atomic section (transaction / Lua script) and applies what `decide` returns there, so the check
 * and the act are one step.
 */
import { createHash } from 'node:crypto';
import type { ConcurrencyControl } from '../core/records.js';
import type { Status } from '../core/status.js';
import type { Serializer } from '../serialization/serializer.js';
import type { TaskOptionsConfig } from '../config/schema.js';
import { DURATION_FIX, parseDuration } from '../core/duration.js';
import { ConfigError } from '../core/errors.js';

/** Statuses that hold a running-concurrency slot. */
export const ACTIVE_STATUSES: ReadonlySet<Status> = new Set([
  'PENDING',
  'RUNNING',
  'PAUSED',
  'RESUMED',
]);

/** A blocked invocation sent back to the queue waits at least this long before it is claimed again. */
export const REROUTE_DELAY_MS = 25;

/**
 * `run` records a rate-limit start at `startAt`; `requeue` goes through CONCURRENCY_CONTROLLED ->
 * REROUTED, and with `reserve` takes the rate-limit slot at `notBefore`; `wait` (claimed before its
 * reserved slot) goes back to the queue unchanged.
 */
export type Decision =
  | { kind: 'run'; startAt: number }
  | { kind: 'requeue'; notBefore: number; reserve?: true }
  | { kind: 'wait'; notBefore: number }
  | { kind: 'final' };

/**
 * `from`: the invocation's status; `active`: invocations of the scope holding a slot now;
 * `starts`: recorded starts and other invocations' reserved slots later than `now` minus the rate
 * window, sorted; `reservedAt`: this invocation's own reserved slot, if it holds one.
 *
 * A rate-blocked invocation reserves the first slot after every reservation made before it (as
 * BullMQ delays a rate-limited job) and waits for it: one CONCURRENCY_CONTROLLED -> REROUTED pair
 * per delay, however long the backlog, instead of a bounce each time the window frees a slot.
 */
export function decide(
  cc: ConcurrencyControl,
  from: Status,
  active: number,
  starts: number[],
  now: number,
  reservedAt?: number,
): Decision {
  if (cc.maxRunning > 0 && active >= cc.maxRunning) {
    // Only a fresh call (REGISTERED) may end CONCURRENCY_CONTROLLED_FINAL: the state machine gives
    // one that already waited (REROUTED after recovery, RETRY) no way there, so it waits again.
    return cc.reroute || from !== 'REGISTERED'
      ? { kind: 'requeue', notBefore: now + REROUTE_DELAY_MS }
      : { kind: 'final' };
  }
  const count = cc.rateCount;
  const windowMs = cc.rateWindowMs;
  if (count === undefined || windowMs === undefined) {
    return { kind: 'run', startAt: now };
  }
  if (reservedAt !== undefined) {
    // Its slot, unless starts that came late still fill the window: then it waits, unchanged.
    const past = starts.filter((t) => t <= now);
    if (now < reservedAt || past.length >= count) {
      const freed = past.length >= count ? past[past.length - count]! + windowMs + 1 : 0;
      return { kind: 'wait', notBefore: Math.max(reservedAt, freed) };
    }
    return { kind: 'run', startAt: now };
  }
  // Every window of windowMs holding `now` lies in (now - windowMs, now + windowMs].
  const near = starts.filter((t) => t <= now + windowMs).length;
  if (near < count) {
    return { kind: 'run', startAt: now };
  }
  // After the last reservation, and windowMs past the count-th latest: no window holds count + 1.
  const last = starts[starts.length - 1]!;
  const slot = Math.max(last, starts[starts.length - count]! + windowMs + 1);
  return { kind: 'requeue', notBefore: slot, reserve: true };
}

/** Statuses a blocked invocation goes through, from where it was. */
export function blockedPath(from: Status, d: Decision): Status[] {
  if (d.kind === 'run' || d.kind === 'wait') {
    return [];
  }
  if (from === 'RETRY') {
    return [];
  } // RETRY may only go PENDING: it waits in the queue unchanged.
  if (d.kind === 'final' && from === 'REGISTERED') {
    return ['CONCURRENCY_CONTROLLED_FINAL'];
  }
  return ['CONCURRENCY_CONTROLLED', 'REROUTED'];
}

/** "100/1m" -> { count: 100, windowMs: 60000 }; PERIOD is a duration (core/duration.ts), "h" = "1h". */
export function parseRateLimit(taskId: string, spec: string): { count: number; windowMs: number } {
  const fail = (problem: string) =>
    new ConfigError(
      `task "${taskId}": rate_limit "${spec}" is not a rate: ${problem}`,
      `write it as COUNT/PERIOD, e.g. "100/1m", "10/1s", "5/500ms", "1000/h"; PERIOD: ${DURATION_FIX}`,
    );
  const parts = spec.split('/');
  if (parts.length !== 2) {
    throw fail('it needs one "/" between COUNT and PERIOD');
  }
  const [countText, periodText] = parts as [string, string];
  const count = /^\s*\d+\s*$/.test(countText) ? Number(countText) : 0;
  if (!(count > 0)) {
    throw fail(`COUNT "${countText.trim()}" is not a whole number above 0`);
  }
  const period = parseDuration(periodText);
  if (!period.ok) {
    throw fail(`PERIOD "${periodText.trim()}" is not a duration: ${period.problem}`);
  }
  if (!(period.ms > 0)) {
    throw fail('PERIOD must be longer than 0');
  }
  return { count, windowMs: period.ms };
}

/** A stable key for a set of named values: same values, any key order -> same key. */
export function canonicalKey(
  serializer: Serializer,
  values: Record<string, unknown>,
  names?: string[],
): string {
  const keys = (names ?? Object.keys(values)).slice().sort();
  const text = JSON.stringify(
    keys.map((k) => [k, serializer.serialize(values[k], `argument ${k}`)]),
  );
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

type Mode = TaskOptionsConfig['running_concurrency'];

/** The scope key of `mode` for one call; null when DISABLED. */
export function scopeKey(
  mode: Mode,
  taskId: string,
  serializer: Serializer,
  args: Record<string, unknown>,
  keyArguments: string[],
): string | null {
  switch (mode) {
    case 'DISABLED':
      return null;
    case 'TASK':
      return taskId;
    case 'ARGUMENTS':
      return `${taskId}:${canonicalKey(serializer, args)}`;
    case 'KEYS':
      return `${taskId}:k:${canonicalKey(serializer, args, keyArguments)}`;
  }
}

/**
 * The scope whose invocations must live together in a sharded backend (core/ids.ts placementOf):
 * the registration key and the running key when they are one, else the coarser task itself (both
 * keys start with the task id, so every invocation of either scope is in it). Null: no scope.
 */
export function placementScope(
  taskId: string,
  registrationKey: string | null | undefined,
  concurrency: ConcurrencyControl | null | undefined,
): string | null {
  const run = concurrency?.key ?? null;
  const reg = registrationKey ?? null;
  if (reg === null || run === null || reg === run) {
    return reg ?? run;
  }
  return taskId;
}

/** The running control for one call of a task with these options; null when none applies. */
export function runningControl(
  opts: TaskOptionsConfig,
  taskId: string,
  serializer: Serializer,
  args: Record<string, unknown>,
): ConcurrencyControl | null {
  const rate = opts.rate_limit ? parseRateLimit(taskId, opts.rate_limit) : undefined;
  const key = scopeKey(opts.running_concurrency, taskId, serializer, args, opts.key_arguments);
  if (key === null && !rate) {
    return null;
  }
  return {
    key: key ?? taskId,
    maxRunning: key === null ? 0 : opts.max_running,
    ...(rate ? { rateCount: rate.count, rateWindowMs: rate.windowMs } : {}),
    reroute: opts.reroute_on_concurrency_control,
  };
}
