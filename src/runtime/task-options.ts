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
  /**
   * An attempt running longer fails with TaskTimeoutError. ctx.signal aborts first; then the work
   * is stopped: process runners kill the child (persistent-process with concurrency > 1 after a
   * 2 s grace, rerunning the other invocations it held), a worker thread is terminated. On a thread
   * runner's main thread (see workerThreads) nothing can stop a task that ignores its signal: it
   * runs on, keeps its slot, its retry waits for it, and a warning names it.
   */
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
  /**
   * Thread runner: true runs the task on a pool of worker threads (CPU-bound work does not stall
   * the runner, and a timeout can terminate it); false keeps it on the main thread. Unset: a task
   * with `timeoutSeconds` runs in a worker thread when one can load it (the runner was given its
   * modules, as `taskapp run` does, and they register the task), otherwise on the main thread,
   * where a timeout aborts ctx.signal but cannot stop a task that ignores it.
   */
  workerThreads?: boolean;
  cron?: string;
  timezone?: string;
  /** Finished invocations of this task older than this ("1d") are deleted; overrides [retention] finished. */
  retention?: string;
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
    const err = configErrorFrom(parsed.error.issues, merged, sourceMap, ['tasks', taskId]);
    throw new ConfigError(`task "${taskId}": ${err.message}`, err.fix);
  }
  return { ...(parsed.data as TaskOptionsConfig), sources };
}
