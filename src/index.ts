/** taskapp's public API: everything else is internal. */
export { taskapp, App, type TaskappOptions } from './core/app.js';
export { Task, type TaskContext, type TaskFn, type TaskArgs } from './core/task.js';
export { Invocation, InvocationGroup } from './core/invocation.js';
export type { TaskOptions, EffectiveTaskOptions } from './core/task-options.js';
export { STATUSES, FINAL_STATUSES, TRANSITIONS, isFinal, type Status } from './core/status.js';
export type { HistoryEntry, InvocationRecord, RunnerInfo } from './core/records.js';
export type { Runner, RunnerOptions } from './runners/runner.js';
export { on, Trigger } from './triggers/conditions.js';
export type { TriggerContext, SourceInvocation, ArgsProvider } from './triggers/types.js';
export type { Logger } from './core/logger.js';
export type { SerializableClass } from './serialization/serializer.js';
export {
  TaskappError,
  ConfigError,
  IllegalTransitionError,
  WrongOwnerError,
  InvocationNotFoundError,
  UnknownTaskError,
  DuplicateTaskError,
  InvalidArgumentsError,
  SerializationError,
  TimeoutError,
  TaskTimeoutError,
  NoResultError,
  TaskFailedError,
  BackendError,
  WorkerExitedError,
  RecoveryLimitError,
  ConcurrencyArgumentsMismatchError,
  InvocationCycleError,
} from './core/errors.js';
