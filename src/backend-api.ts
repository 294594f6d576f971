/**
 * `taskapp/backend`: everything a backend needs, for a backend written as its own package
 * (docs/backends.md). Versioned by BACKEND_API_VERSION; nothing a backend needs is reached through
 * a deep import.
 */

// The plugin contract.
export { BACKEND_API_VERSION, defineBackend, type BackendPlugin } from './backends/plugin.js';
export type {
  BackendFactory,
  BackendOptions,
  BackendUse,
  BackendRoles,
  RoleName,
} from './backends/backends.js';
export type { ResolvedConfig } from './config/resolve.js';
export type { TaskappConfig } from './config/schema.js';

// The roles.
export type { Broker } from './backends/broker.js';
export { waitForFinal, type StateBackend, type FinalWatch } from './backends/state-backend.js';
export { transitionOne, type Orchestrator, type PurgeScope } from './backends/orchestrator.js';
export type { TriggerStore, StoredEvent } from './backends/trigger-store.js';
export type { DataStore } from './backends/data-store.js';
export type { WorkflowStore } from './backends/workflow-store.js';
export type { CancelSignals, CancelRequest } from './backends/cancel-signals.js';
export type { TaskPauses } from './backends/task-pauses.js';
export {
  composeHotPath,
  BLIND_REQUEUE_FACTOR,
  type HotPath,
  type FinishAndClaim,
} from './backends/hot-path.js';

// Records and statuses: the state machine every backend validates against.
export * from './core/records.js';
export * from './core/status.js';

// Errors a backend throws.
export {
  TaskappError,
  BackendError,
  ConfigError,
  IllegalTransitionError,
  WrongOwnerError,
  InvocationNotFoundError,
  type TaskappErrorCode,
} from './core/errors.js';

// The rules applied inside a backend's atomic step.
export {
  applyTransition,
  applyPath,
  isRepeated,
  routeFor,
  mayRoute,
  ACQUIRABLE,
} from './orchestration/apply-transition.js';
export {
  planAcquire,
  scopeKeys,
  type AcquirePlan,
  type AcquireCandidate,
  type ScopeWindow,
  type RateMark,
  type RateStart,
} from './orchestration/acquire-planner.js';
export {
  ACTIVE_STATUSES,
  REROUTE_DELAY_MS,
  decide,
  blockedPath,
  type Decision,
} from './orchestration/concurrency.js';

// Helpers the built-in backends share.
export { createLogger, type Logger } from './core/logger.js';
export { clampPriority } from './backends/memory/broker.js';
export { Wakeup } from './backends/common/wakeup.js';
export { CancelBus, parseCancelMessage } from './backends/common/cancel-bus.js';
export { FinalNotifier } from './backends/common/final-notifier.js';
export { maskUrl, reconnectDelayMs } from './backends/common/connection-utils.js';
export { taskInScope, PURGE_CHUNK } from './backends/common/purge-scope.js';
