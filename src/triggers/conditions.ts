/**
 * `on`: what starts a task besides a call. Each builder returns a Trigger (a condition plus how to
 * build the arguments); the `triggers` task option takes one or a list. Conditions are checked
 * where they are written, so a bad cron or time zone fails at registration.
 */
import { ConfigError } from '../core/errors.js';
import { FINAL_STATUSES, type Status } from '../core/status.js';
import { CronSchedule } from '../config/cron.js';
import { args as argProviders } from './args.js';
import type { ArgsProvider, TriggerArgs, TriggerLike } from './types.js';

type ErrorClass = abstract new (...args: any[]) => Error;
type TaskRef = string | { readonly id: string };

interface CronCondition {
  kind: 'cron';
  schedule: CronSchedule;
  minIntervalSeconds: number;
}
interface StatusCondition {
  kind: 'status';
  taskId: string;
  statuses: Status[];
}
interface ResultCondition {
  kind: 'result';
  taskId: string;
  match: ((result: any) => boolean) | { value: unknown };
}
export interface ExceptionCondition {
  kind: 'exception';
  taskId: string;
  errors: Array<string | ErrorClass>;
}
interface EventCondition {
  kind: 'event';
  code: string;
  filter?: ((payload: any) => boolean) | { value: Record<string, unknown> };
}
export type LeafCondition =
  CronCondition | StatusCondition | ResultCondition | ExceptionCondition | EventCondition;
interface AllCondition {
  kind: 'all';
  parts: LeafCondition[];
  windowSeconds: number;
}
interface AnyCondition {
  kind: 'any';
  parts: LeafCondition[];
}
export type Condition = LeafCondition | AllCondition | AnyCondition;

export class Trigger<C extends Condition = Condition> implements TriggerLike {
  constructor(
    readonly condition: C,
    readonly argsProvider?: ArgsProvider,
  ) {}

  /** Arguments for the triggered task: a static object, or a function of the trigger context. */
  withArgs(provider: TriggerArgs | ArgsProvider): Trigger<C> {
    if (typeof provider === 'function') {
      return new Trigger(this.condition, provider);
    }
    if (provider === null || typeof provider !== 'object' || Array.isArray(provider)) {
      throw new ConfigError(
        `withArgs() takes an argument object or a function of the trigger context, got ${provider === null ? 'null' : Array.isArray(provider) ? 'an array' : typeof provider}`,
        'pass e.g. .withArgs({ region: "eu" }) or .withArgs((ctx) => ({ id: ctx.invocation.args.id }))',
      );
    }
    const fixed = { ...provider };
    return new Trigger(this.condition, () => ({ ...fixed }));
  }

  /** One line for `taskapp trigger list`. */
  describe(): string {
    return describeCondition(this.condition);
  }
}

function taskIdOf(t: TaskRef, where: string): string {
  const id = typeof t === 'string' ? t : t?.id;
  if (typeof id !== 'string' || !id) {
    throw new ConfigError(
      `${where}: expected a task or a task name, got ${JSON.stringify(t)}`,
      'pass the task object returned by app.task() or its name',
    );
  }
  return id;
}

function leafOf(t: Trigger, where: string): LeafCondition {
  if (!(t instanceof Trigger)) {
    throw new ConfigError(
      `${where}: expected conditions made with on.*, got ${typeof t}`,
      'e.g. on.all(on.status(a), on.event("x"))',
    );
  }
  if (t.condition.kind === 'all' || t.condition.kind === 'any') {
    throw new ConfigError(
      `${where}: composite conditions cannot be nested`,
      'list the leaf conditions directly in one on.all() or on.any()',
    );
  }
  return t.condition;
}

export const on = {
  /** A cron schedule: 5 fields, or 6 with seconds first. `timezone`: IANA name (default: the host's). */
  cron(
    expression: string,
    opts: { timezone?: string; minIntervalSeconds?: number } = {},
  ): Trigger<CronCondition> {
    const min = opts.minIntervalSeconds ?? 0;
    if (!(min >= 0)) {
      throw new ConfigError(
        `on.cron("${expression}"): minIntervalSeconds must be >= 0, got ${min}`,
        'set minIntervalSeconds to a number of seconds, or leave it out',
      );
    }
    return new Trigger({
      kind: 'cron',
      schedule: CronSchedule.parse(expression, opts.timezone, `on.cron("${expression}")`),
      minIntervalSeconds: min,
    });
  },

  /** When an invocation of `task` ends in one of `statuses` (final statuses; default SUCCESS). */
  status(task: TaskRef, statuses: Status[] = ['SUCCESS']): Trigger<StatusCondition> {
    const taskId = taskIdOf(task, 'on.status()');
    const bad = statuses.filter((s) => !FINAL_STATUSES.has(s));
    if (bad.length) {
      throw new ConfigError(
        `on.status("${taskId}", ${JSON.stringify(statuses)}): ${bad.join(', ')} ${bad.length > 1 ? 'are' : 'is'} not a final status`,
        `status triggers watch final statuses: ${[...FINAL_STATUSES].join(', ')}`,
      );
    }
    return new Trigger({ kind: 'status', taskId, statuses: [...statuses] });
  },

  /** When `task` succeeds with a result that passes `match` (a predicate, or a value: equal, or for objects a partial match). */
  result(task: TaskRef, match: ((result: any) => boolean) | unknown): Trigger<ResultCondition> {
    const taskId = taskIdOf(task, 'on.result()');
    return new Trigger({
      kind: 'result',
      taskId,
      match: typeof match === 'function' ? (match as (r: unknown) => boolean) : { value: match },
    });
  },

  /** When `task` fails (finally, after its retries) with one of `errors` (class names or classes; default any). */
  exception(task: TaskRef, errors: Array<string | ErrorClass> = []): Trigger<ExceptionCondition> {
    return new Trigger({
      kind: 'exception',
      taskId: taskIdOf(task, 'on.exception()'),
      errors: [...errors],
    });
  },

  /** When `app.emit(code, payload)` is called with a payload matching `filter` (partial object match or predicate). */
  event(
    code: string,
    filter?: Record<string, unknown> | ((payload: any) => boolean),
  ): Trigger<EventCondition> {
    if (typeof code !== 'string' || !code) {
      throw new ConfigError(
        `on.event(): the event code must be a non-empty string, got ${JSON.stringify(code)}`,
        'e.g. on.event("user.signup")',
      );
    }
    return new Trigger({
      kind: 'event',
      code,
      filter:
        filter === undefined
          ? undefined
          : typeof filter === 'function'
            ? filter
            : { value: { ...filter } },
    });
  },

  /** When every part has happened within `windowSeconds` (default 60) of the last one. */
  all(...items: Array<Trigger | { windowSeconds?: number }>): Trigger<AllCondition> {
    const last = items[items.length - 1];
    const opts =
      last && !(last instanceof Trigger) ? (items.pop() as { windowSeconds?: number }) : {};
    const parts = (items as Trigger[]).map((t) => leafOf(t, 'on.all()'));
    if (parts.length < 2) {
      throw new ConfigError(
        `on.all() needs at least two conditions, got ${parts.length}`,
        'use the single condition directly',
      );
    }
    if (parts.some((p) => p.kind === 'cron')) {
      throw new ConfigError(
        'on.all(): a cron schedule cannot be a part of on.all()',
        'use on.cron() alone or in on.any()',
      );
    }
    const windowSeconds = opts.windowSeconds ?? 60;
    if (!(windowSeconds > 0)) {
      throw new ConfigError(
        `on.all(): windowSeconds must be > 0, got ${windowSeconds}`,
        'e.g. on.all(a, b, { windowSeconds: 300 })',
      );
    }
    return new Trigger({ kind: 'all', parts, windowSeconds });
  },

  /** When any part happens (once per source invocation, event or slot). */
  any(...items: Trigger[]): Trigger<AnyCondition> {
    const parts = items.map((t) => leafOf(t, 'on.any()'));
    if (parts.length < 1) {
      throw new ConfigError(
        'on.any() needs at least one condition',
        'e.g. on.any(on.status(a), on.event("x"))',
      );
    }
    return new Trigger({ kind: 'any', parts });
  },

  /** Ready-made argument providers for withArgs(). */
  args: argProviders,
};

function describeLeaf(c: LeafCondition): string {
  switch (c.kind) {
    case 'cron':
      return `cron ${c.schedule.toString()}${c.minIntervalSeconds ? ` min interval ${c.minIntervalSeconds}s` : ''}`;
    case 'status':
      return `status ${c.taskId} in ${c.statuses.join('|')}`;
    case 'result':
      return `result of ${c.taskId} ${typeof c.match === 'function' ? 'matches a predicate' : `matches ${JSON.stringify(c.match.value)}`}`;
    case 'exception':
      return `exception in ${c.taskId}${c.errors.length ? ` (${c.errors.map((e) => (typeof e === 'string' ? e : e.name)).join('|')})` : ''}`;
    case 'event':
      return `event ${c.code}${c.filter === undefined ? '' : typeof c.filter === 'function' ? ' matching a predicate' : ` matching ${JSON.stringify(c.filter.value)}`}`;
  }
}

function describeCondition(c: Condition): string {
  if (c.kind === 'all') {
    return `all of [${c.parts.map(describeLeaf).join('; ')}] within ${c.windowSeconds}s`;
  }
  if (c.kind === 'any') {
    return `any of [${c.parts.map(describeLeaf).join('; ')}]`;
  }
  return describeLeaf(c);
}
