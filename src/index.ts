/** taskapp's public API: everything else is internal. */
export { taskapp, App, type TaskappOptions } from './app/app.js';
export { Task, type TaskContext, type TaskFn, type TaskArgs } from './app/task.js';
export { Invocation, InvocationGroup } from './app/invocation.js';
export type { CancelOptions, CancelOutcome, CancelResult } from './runtime/cancel.js';
export type { CallOptions } from './app/call-options.js';
export type { Outbox } from './app/outbox.js';
export type { TxHandle } from './backends/tx-enqueue.js';
export type { TaskOptions, EffectiveTaskOptions } from './runtime/task-options.js';
export { STATUSES, FINAL_STATUSES, TRANSITIONS, isFinal, type Status } from './core/status.js';
export type {
  HistoryEntry,
  InvocationExtras,
  InvocationRecord,
  Progress,
  RunnerInfo,
} from './core/records.js';
export type { Runner, RunnerOptions } from './runners/runner.js';
export { on, Trigger } from './triggers/conditions.js';
export type { TriggerContext, SourceInvocation, ArgsProvider } from './triggers/types.js';
export type { Logger } from './core/logger.js';
export type { SerializableClass } from './serialization/serializer.js';
export {
  type TaskappErrorCode,
  type TaskappErrorOptions,
  TaskappError,
  ConfigError,
  IllegalTransitionError,
  WrongOwnerError,
  InvocationNotFoundError,
  UnknownTaskError,
  DuplicateTaskError,
  InvalidArgumentsError,
  InvalidTaskNameError,
  CallTimeoutError,
  SerializationError,
  TimeoutError,
  TaskTimeoutError,
  InvocationCancelledError,
  NoResultError,
  TaskFailedError,
  BackendError,
  TransactionError,
  WorkerExitedError,
  RecoveryLimitError,
  ConcurrencyArgumentsMismatchError,
  InvocationCycleError,
  DeterminismError,
  UnknownTriggerError,
} from './core/errors.js';
// Backends by name (docs/backends.md); writing one: the `taskapp/backend` entry.
export { registerBackend } from './backends/registry.js';
export type { BackendFactory } from './backends/backends.js';
export type { BackendPlugin } from './backends/plugin.js';
