/** Shapes shared by trigger conditions, the scheduler and task options (no runtime imports). */

/** The finished invocation that set off a status, result or exception trigger. */
export interface SourceInvocation {
  id: string;
  taskId: string;
  status: string;
  args: Record<string, unknown>;
  /** Set when SUCCESS. */
  result?: unknown;
  /** Set when FAILED: the task's error, revived as its class when registered. */
  error?: Error;
}

export interface TriggerEventInfo {
  id: string;
  code: string;
  payload: unknown;
  at: number;
}

type TriggerKind = 'cron' | 'status' | 'result' | 'exception' | 'event' | 'all' | 'any' | 'manual';

/** What an argument provider sees when a trigger fires. */
export interface TriggerContext {
  triggerId: string;
  /** The task the trigger starts. */
  taskId: string;
  /** The condition part that fired (for on.any: the part's kind; `manual` for `taskapp trigger fire`). */
  kind: TriggerKind;
  firedAt: number;
  /** cron: the slot, epoch ms. */
  slot?: number;
  event?: TriggerEventInfo;
  invocation?: SourceInvocation;
  /** on.all: one context per part, in the order the parts were given. */
  parts?: TriggerContext[];
}

export type TriggerArgs = Record<string, unknown>;
export type ArgsProvider = (ctx: TriggerContext) => TriggerArgs | Promise<TriggerArgs>;

/** Anything `on.*` returns; what the `triggers` task option takes. */
export type { TriggerLike } from '../runtime/task-options.js';
