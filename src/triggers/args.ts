/**
 * Ready-made argument providers: the triggered task's arguments from the event payload, or from
 * the source invocation's arguments, result or error. Without one, an event trigger passes the
 * payload (when it is an object) and every other trigger passes {}.
 */
import type { ArgsProvider, TriggerArgs, TriggerContext } from './types.js';

const pick = (o: unknown, keys: string[]): TriggerArgs => {
  const obj = o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as TriggerArgs) : {};
  return keys.length
    ? Object.fromEntries(keys.filter((k) => k in obj).map((k) => [k, obj[k]]))
    : { ...obj };
};

/** The innermost context holding `key` (on.all keeps its parts' contexts). */
const find = <K extends keyof TriggerContext>(
  ctx: TriggerContext,
  key: K,
): TriggerContext[K] | undefined =>
  ctx[key] ?? ctx.parts?.map((p) => p[key]).find((v) => v !== undefined);

export const args = {
  /** The event payload (all fields, or only `keys`). */
  payload:
    (...keys: string[]): ArgsProvider =>
    (ctx) =>
      pick(find(ctx, 'event')?.payload, keys),
  /** The source invocation's arguments (all, or only `keys`). */
  sourceArgs:
    (...keys: string[]): ArgsProvider =>
    (ctx) =>
      pick(find(ctx, 'invocation')?.args, keys),
  /** `{ [as]: result }` of the source invocation. */
  sourceResult:
    (as = 'result'): ArgsProvider =>
    (ctx) => ({ [as]: find(ctx, 'invocation')?.result ?? null }),
  /** `{ [as]: { name, message } }` of the source invocation's error. */
  sourceError:
    (as = 'error'): ArgsProvider =>
    (ctx) => {
      const e = find(ctx, 'invocation')?.error;
      return { [as]: e ? { name: e.name, message: e.message } : null };
    },
};

export function defaultArgs(ctx: TriggerContext): TriggerArgs {
  return ctx.kind === 'event' ? pick(ctx.event?.payload, []) : {};
}
