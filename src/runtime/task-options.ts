/**
 * A task's effective options: built-in defaults < [task_defaults] < options in code <
 * [tasks.<name>] < TASKAPP__TASKS__<NAME>__FIELD. Operators retune tasks without a rebuild.
 */
import { ConfigError } from '../core/errors.js';
import {
  taskOptionsOverrideSchema,
  taskOptionsSchema,
  type TaskOptionsConfig,
} from '../config/schema.js';
import { configErrorFrom, toSnakeKeys, type ResolvedConfig } from '../config/resolve.js';
import { toEnvName } from '../config/env.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** Anything `on.*` returns; what the `triggers` task option takes. */
export interface TriggerLike {
  readonly condition: { readonly kind: string };
}

/** Options as written in code (camelCase). */
export interface TaskOptions {
  maxRetries?: number;
  /** Error classes or names to retry; '*' retries any error. */
  retryFor?: Array<ErrorClass | string>;
  retryBackoff?: {
    kind?: 'fixed' | 'exponential';
    baseSeconds?: number;
    maxSeconds?: number;
    jitter?: boolean;
  };
  timeoutSeconds?: number;
  priority?: number;
  runningConcurrency?: 'DISABLED' | 'TASK' | 'ARGUMENTS' | 'KEYS';
  registrationConcurrency?: 'DISABLED' | 'TASK' | 'ARGUMENTS' | 'KEYS';
  keyArguments?: string[];
  rerouteOnConcurrencyControl?: boolean;
  onDiffNonKeyArgsRaise?: boolean;
  maxRunning?: number;
  rateLimit?: string;
  parallelBatchSize?: number;
  forceNewWorkflow?: boolean;
  disableCacheArgs?: string[];
  workerThreads?: boolean;
  cron?: string;
  timezone?: string;
  /** What starts this task besides a call: `on.cron(...)`, `on.event(...)`, ... (code only). */
  triggers?: TriggerLike | TriggerLike[];
}

export type EffectiveTaskOptions = TaskOptionsConfig & { sources: Record<string, string> };

export function resolveTaskOptions(
  taskId: string,
  code: TaskOptions,
  resolved: ResolvedConfig,
): EffectiveTaskOptions {
  const { triggers: _triggers, ...configurable } = code;
  const codeValues = toSnakeKeys({
    ...configurable,
    retryFor: code.retryFor?.map((e) => (typeof e === 'string' ? e : e.name)),
  }) as Record<string, unknown>;
  const envRaw = resolved.taskEnv[toEnvName(taskId)] ?? {};
  const envValues = Object.fromEntries(Object.entries(envRaw).map(([k, v]) => [k, v.value]));
  const layers: Array<[string, Record<string, unknown>]> = [
    ['file/env [task_defaults]', resolved.config.task_defaults as Record<string, unknown>],
    ['code', codeValues],
    [`[tasks.${taskId}]`, (resolved.config.tasks.byTask[taskId] ?? {}) as Record<string, unknown>],
    [`env TASKAPP__TASKS__${toEnvName(taskId)}__*`, envValues],
  ];
  const merged: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const [source, values] of layers) {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) {
        continue;
      }
      merged[k] =
        k === 'retry_backoff' && typeof v === 'object'
          ? { ...(merged[k] as object), ...(v as object) }
          : v;
      sources[k] =
        source === 'code'
          ? 'code'
          : k in envValues && source.startsWith('env')
            ? envRaw[k]!.source
            : source;
    }
  }
  const check = taskOptionsOverrideSchema.safeParse(merged);
  const parsed = check.success ? taskOptionsSchema.safeParse(check.data) : check;
  if (!parsed.success) {
    const sourceMap = new Map(Object.entries(sources));
    const err = configErrorFrom(parsed.error.issues, merged, sourceMap);
    throw new ConfigError(
      `task "${taskId}": ${err.message.replace(/\n {2}fix:.*$/s, '')}`,
      err.fix,
    );
  }
  return { ...(parsed.data as TaskOptionsConfig), sources };
}
