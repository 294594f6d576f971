/**
 * Options of one call (`task.call(args, { priority, delayMs, runAt })`), checked before anything is
 * stored: each numeric input is bounded, and a wrong one names the option, the value and the fix.
 */
import { TaskappError } from '../core/errors.js';
import { MAX_DELAY_MS, MAX_TIMEOUT_MS } from '../core/limits.js';
import type { CallLimits } from '../core/records.js';
import type { TxHandle } from '../backends/tx-enqueue.js';

export interface CallOptions {
  /**
   * The invocation's id, as an idempotency key: a call with the id of an invocation already stored
   * (until it is purged) stores nothing and returns that one (`inv.reused`), like BullMQ's jobId.
   */
  id?: string;
  /** 0-9, higher runs first; overrides the task's priority for this call. */
  priority?: number;
  /** Not started before this many milliseconds from now (at most MAX_DELAY_MS). */
  delayMs?: number;
  /** Not started before this time (at most MAX_DELAY_MS ahead; a past time means now). */
  runAt?: Date;
  /** Each attempt's time limit in milliseconds (1 to MAX_TIMEOUT_MS); overrides the task's timeout_seconds. */
  timeoutMs?: number;
  /**
   * Not started by this time, it never runs: a runner that claims it later ends it CANCELLED with
   * an "expired" reason (like Celery's `expires`). In the future, after any runAt/delayMs, within a year.
   */
  expiresAt?: Date;
  /**
   * Enqueue inside your own open transaction (README, "Transactional enqueue"): a `pg` client after
   * BEGIN (postgres backend) or a better-sqlite3 Database on taskapp's file with a transaction open
   * (sqlite backend). The invocation exists exactly when that transaction commits.
   */
  tx?: TxHandle;
}

/** Printable ASCII without spaces: ids travel in log lines, CLI arguments and NOTIFY payloads. */
const ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

export interface CheckedCallOptions {
  id?: string;
  priority?: number;
  /** Epoch ms before which it is not claimable; undefined: at once. */
  notBefore?: number;
  /** Limits stored with the invocation and read by the runner; undefined: none. */
  limits?: CallLimits;
  /** The caller's transaction to write through; undefined: taskapp's own. */
  tx?: TxHandle;
}

/** `tx`, checked for shape only here: the backend checks that it is a connection inside a transaction. */
export function checkTx(taskId: string, tx: unknown): TxHandle {
  if (typeof tx !== 'object' || tx === null) {
    throw bad(
      'tx',
      tx,
      'a database connection inside an open transaction',
      `call ${taskId} with { tx: client } where client is a pg client after BEGIN (or a better-sqlite3 Database in a transaction)`,
    );
  }
  return tx;
}

const bad = (option: string, value: unknown, expected: string, fix: string) =>
  badOption('call', option, value, expected, fix);

/** A caller's option that is out of bounds (`call`, `result`): the option, the value, what it takes and the fix. */
export function badOption(
  of: string,
  option: string,
  value: unknown,
  expected: string,
  fix: string,
): TaskappError {
  const shown =
    value instanceof Date
      ? Number.isNaN(value.getTime())
        ? 'Invalid Date'
        : value.toISOString()
      : typeof value === 'number'
        ? String(value)
        : JSON.stringify(value);
  return new TaskappError(
    'BAD_PARAMETER',
    `${of} option ${option}: ${String(shown)} is not valid: expected ${expected}`,
    { fix, exitCode: 2 },
  );
}

export function checkCallOptions(
  taskId: string,
  opts: CallOptions | undefined,
  now: number,
): CheckedCallOptions {
  if (opts === undefined) {
    return {};
  }
  const out: CheckedCallOptions = {};
  const { id, priority, delayMs, runAt, timeoutMs, expiresAt, tx } = opts;
  if (tx !== undefined) {
    out.tx = checkTx(taskId, tx);
  }
  if (id !== undefined) {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
      throw bad(
        'id',
        id,
        '1 to 200 printable ASCII characters without spaces',
        `use a key such as "order-42:invoice" for ${taskId}`,
      );
    }
    out.id = id;
  }
  if (priority !== undefined) {
    if (!Number.isInteger(priority) || priority < 0 || priority > 9) {
      throw bad(
        'priority',
        priority,
        'an integer from 0 to 9',
        `call ${taskId} with { priority: 5 }`,
      );
    }
    out.priority = priority;
  }
  if (delayMs !== undefined && runAt !== undefined) {
    throw bad(
      'delayMs',
      delayMs,
      'either delayMs or runAt, not both',
      'give one of them: { delayMs: 60000 } or { runAt: new Date(...) }',
    );
  }
  if (delayMs !== undefined) {
    if (
      typeof delayMs !== 'number' ||
      !Number.isFinite(delayMs) ||
      delayMs < 0 ||
      delayMs > MAX_DELAY_MS
    ) {
      throw bad(
        'delayMs',
        delayMs,
        `milliseconds from 0 to ${MAX_DELAY_MS} (one year)`,
        'pass a delay such as { delayMs: 10 * 60_000 }; for later than a year, schedule a cron trigger',
      );
    }
    if (delayMs > 0) {
      out.notBefore = now + Math.ceil(delayMs);
    }
  }
  if (runAt !== undefined) {
    const t = runAt instanceof Date ? runAt.getTime() : NaN;
    if (!Number.isFinite(t) || t > now + MAX_DELAY_MS) {
      throw bad(
        'runAt',
        runAt,
        'a valid Date no more than a year ahead',
        'pass { runAt: new Date("2030-01-01T09:00:00Z") } within a year from now; for later, schedule a cron trigger',
      );
    }
    if (t > now) {
      out.notBefore = t;
    }
  }
  if (timeoutMs !== undefined) {
    if (
      typeof timeoutMs !== 'number' ||
      !Number.isInteger(timeoutMs) ||
      timeoutMs < 1 ||
      timeoutMs > MAX_TIMEOUT_MS
    ) {
      throw bad(
        'timeoutMs',
        timeoutMs,
        `whole milliseconds from 1 to ${MAX_TIMEOUT_MS} (one week)`,
        `call ${taskId} with { timeoutMs: 30_000 }, or set the task's timeout_seconds`,
      );
    }
    out.limits = { timeoutMs };
  }
  if (expiresAt !== undefined) {
    const t = expiresAt instanceof Date ? expiresAt.getTime() : NaN;
    const earliest = out.notBefore ?? now;
    if (!Number.isFinite(t) || t <= earliest || t > now + MAX_DELAY_MS) {
      throw bad(
        'expiresAt',
        expiresAt,
        `a valid Date after ${out.notBefore === undefined ? 'now' : 'the start time asked (runAt/delayMs)'} and no more than a year ahead`,
        `call ${taskId} with { expiresAt: new Date(Date.now() + 10 * 60_000) }`,
      );
    }
    out.limits = { ...out.limits, expiresAt: t };
  }
  return out;
}
