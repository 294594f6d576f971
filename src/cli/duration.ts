/** A duration flag (--since, --finished-before) -> milliseconds, in the grammar of core/duration.ts. */
import { DURATION_FIX, parseDuration } from '../core/duration.js';
import { TaskappError } from '../core/errors.js';
import { MAX_DELAY_MS } from '../core/limits.js';

export function parseDurationFlag(text: string, flag: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    throw new TaskappError('USAGE', `--${flag} "${text}" is not a duration: ${parsed.problem}`, {
      fix: DURATION_FIX,
      exitCode: 2,
    });
  }
  return parsed.ms;
}

/** --at: an ISO 8601 time with a zone (Z or +hh:mm), so the time does not depend on the machine. */
export function parseTimeFlag(text: string, flag: string): Date {
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text);
  const d = new Date(text);
  if (!zoned || Number.isNaN(d.getTime())) {
    throw new TaskappError('USAGE', `--${flag} "${text}" is not an ISO 8601 time with a zone`, {
      fix: `write it like 2030-01-01T09:00:00Z or 2030-01-01T10:00:00+01:00`,
      exitCode: 2,
    });
  }
  return d;
}

/** --delay: a duration of at most a year. */
export function checkDelayFlag(text: string): number {
  const ms = parseDurationFlag(text, 'delay');
  if (ms > MAX_DELAY_MS) {
    throw new TaskappError('USAGE', `--delay "${text}" is more than a year`, {
      fix: 'give a delay of at most 366d; for later work, schedule a cron trigger',
      exitCode: 2,
    });
  }
  return ms;
}

/** --at: an ISO time at most a year ahead (a past time means now). */
export function checkAtFlag(text: string): Date {
  const at = parseTimeFlag(text, 'at');
  if (at.getTime() > Date.now() + MAX_DELAY_MS) {
    throw new TaskappError('USAGE', `--at "${text}" is more than a year ahead`, {
      fix: 'give a time within a year from now; for later work, schedule a cron trigger',
      exitCode: 2,
    });
  }
  return at;
}

/** --expires: a duration from now (10m) or an ISO time with a zone; call() checks the bounds. */
export function checkExpiresFlag(text: string, now = Date.now()): Date {
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    return parseTimeFlag(text, 'expires');
  }
  return new Date(now + parseDurationFlag(text, 'expires'));
}
