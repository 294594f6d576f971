/**
 * Cron schedules (cron-parser 5): 5 fields, or 6 with seconds first; an IANA time zone or the
 * host's. A bad expression or zone fails where it is written, naming the field, its column and a
 * valid example.
 */
import { createRequire } from 'node:module';
import { ConfigError } from '../core/errors.js';

const require = createRequire(import.meta.url);
type Parser = typeof import('cron-parser').CronExpressionParser;
let parser: Parser | undefined;

/** cron-parser (with luxon, about 9 MB) is loaded by the first cron expression, not by every process. */
function cronParser(): Parser {
  return (parser ??= (require('cron-parser') as typeof import('cron-parser')).CronExpressionParser);
}

const FIELDS = ['second', 'minute', 'hour', 'day of month', 'month', 'day of week'] as const;
const EXAMPLES: Record<(typeof FIELDS)[number], string> = {
  second: '"*/10 * * * * *" (every 10 seconds)',
  minute: '"*/15 * * * *" (every 15 minutes)',
  hour: '"0 3 * * *" (every day at 03:00)',
  'day of month': '"0 0 1 * *" (midnight on the 1st of each month)',
  month: '"0 0 1 1,7 *" (midnight on 1 January and 1 July)',
  'day of week': '"0 9 * * 1-5" (09:00 Monday to Friday)',
};

/** Lowest and highest value of each field: a step wider than its range fires only at the range's start. */
const RANGES: Record<(typeof FIELDS)[number], [number, number]> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  'day of month': [1, 31],
  month: [1, 12],
  'day of week': [0, 7],
};

/** A step in `token` (`*\/61`, `5-50/90`) wider than the field's range, which cron-parser accepts silently. */
function stepProblem(token: string, field: (typeof FIELDS)[number]): string | null {
  const [lo, hi] = RANGES[field];
  for (const part of token.split(',')) {
    const step = /\/(\d+)$/.exec(part);
    if (step && Number(step[1]) > hi - lo) {
      return `step ${step[1]} is wider than the ${field} range ${lo}-${hi}: it would fire only at ${lo}, once per ${field === 'second' ? 'minute' : field === 'minute' ? 'hour' : 'period'}`;
    }
  }
  return null;
}

function tryParse(expr: string, tz?: string): string | null {
  try {
    cronParser()
      .parse(expr, { tz, currentDate: new Date(0) })
      .next();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Why `expr` is not a valid cron expression, or null when it is. */
export function cronProblem(expr: string): string | null {
  const tokens = [...expr.matchAll(/\S+/g)];
  if (tokens.length === 1 && tokens[0]![0].startsWith('@')) {
    const err = tryParse(expr);
    return err
      ? `invalid cron expression "${expr}": ${err}; a valid example: "@daily" or ${EXAMPLES.hour}`
      : null;
  }
  if (tokens.length !== 5 && tokens.length !== 6) {
    return `invalid cron expression "${expr}": it has ${tokens.length} field${tokens.length === 1 ? '' : 's'}, cron takes 5 (minute hour day-of-month month day-of-week) or 6 (seconds first); a valid example: ${EXAMPLES.hour}`;
  }
  const offset = 6 - tokens.length;
  // Each field alone, the others "*": the first one that fails is the one to point at.
  for (let i = 0; i < tokens.length; i++) {
    const probe = ['0', '*', '*', '*', '*', '*'];
    probe[i + offset] = tokens[i]![0];
    const err = tryParse(probe.join(' ')) ?? stepProblem(tokens[i]![0], FIELDS[i + offset]!);
    if (err) {
      const name = FIELDS[i + offset]!;
      return `invalid cron expression "${expr}": field ${i + 1} (${name}) "${tokens[i]![0]}" at column ${tokens[i]!.index! + 1}: ${err}; a valid example: ${EXAMPLES[name]}`;
    }
  }
  const err = tryParse(expr);
  return err
    ? `invalid cron expression "${expr}": the fields do not combine (${err}), e.g. a day of month that the month never has; a valid example: ${EXAMPLES['day of month']}`
    : null;
}

/** Why `tz` is not a time zone this runtime knows, or null. */
export function timeZoneProblem(tz: string): string | null {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return null;
  } catch {
    return `unknown time zone "${tz}"; a valid example: "Europe/Madrid" or "UTC" (IANA names)`;
  }
}

/** A validated schedule. Times are epoch ms. */
export class CronSchedule {
  private constructor(
    readonly expression: string,
    readonly timezone: string | undefined,
  ) {}

  /** Throws ConfigError naming `where` (e.g. task "report") when the expression or zone is bad. */
  static parse(expression: string, timezone?: string, where = 'cron trigger'): CronSchedule {
    const problem =
      cronProblem(expression) ?? (timezone === undefined ? null : timeZoneProblem(timezone));
    if (problem) {
      throw new ConfigError(
        `${where}: ${problem}`,
        'fix the cron expression or time zone where it is set (code or [tasks.<name>] cron/timezone)',
      );
    }
    return new CronSchedule(expression, timezone);
  }

  /** The first slot strictly after `after`. */
  next(after: number): number {
    return cronParser()
      .parse(this.expression, { tz: this.timezone, currentDate: new Date(after) })
      .next()
      .getTime();
  }

  /** Slots in (after, until], oldest first, at most `max`. */
  between(after: number, until: number, max = 1000): number[] {
    const it = cronParser().parse(this.expression, {
      tz: this.timezone,
      currentDate: new Date(after),
    });
    const out: number[] = [];
    while (out.length < max) {
      const t = it.next().getTime();
      if (t > until) {
        break;
      }
      out.push(t);
    }
    return out;
  }

  /** The latest `max` slots in (after, until]: a long gap never costs more than that. */
  latestBetween(after: number, until: number, max: number): number[] {
    const it = cronParser().parse(this.expression, {
      tz: this.timezone,
      currentDate: new Date(until + 1),
    });
    const out: number[] = [];
    while (out.length < max) {
      let t: number;
      try {
        t = it.prev().getTime();
      } catch {
        break;
      }
      if (t <= after) {
        break;
      }
      out.unshift(t);
    }
    return out;
  }

  toString(): string {
    return this.timezone ? `${this.expression} (${this.timezone})` : this.expression;
  }
}
