/**
 * The Runtime: what runners, triggers, workflows and monitoring need of an app (its config, logger,
 * serializer, backends, task registry, final-status listeners), without the App facade above them.
 * An App holds one under the RUNTIME symbol; user code never needs it.
 */
import type { AppEvents } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { InvocationRecord } from '../core/records.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { TaskappConfig } from '../config/schema.js';
import type { JsonSerializer } from '../serialization/serializer.js';
import type { ErrorRegistry } from '../serialization/errors.js';
import type { Backends } from '../backends/backends.js';
import type { InvocationHandle, TaskArgs, TaskFn } from './task-context.js';
import type { EffectiveTaskOptions, TaskOptions } from './task-options.js';

/** Symbol.for: an app from a second copy of taskapp (another install) still answers to it. */
export const RUNTIME: unique symbol = Symbol.for('taskapp.runtime');

export type ErrorClass = abstract new (...args: any[]) => Error;

/** A registered task as the engine sees it. */
export interface RuntimeTask<A extends TaskArgs = TaskArgs, R = unknown> {
  readonly id: string;
  readonly fn: TaskFn<A, R>;
  /** Options as written in code. */
  readonly codeOptions: TaskOptions;
  /** Options after config and env. */
  readonly options: EffectiveTaskOptions;
  call(
    args: A,
    opts?: { id?: string; priority?: number; runAt?: Date; timeoutMs?: number; expiresAt?: Date },
  ): Promise<InvocationHandle<R>>;
  callWithId(id: string, args: A): Promise<InvocationHandle<R>>;
}

export interface Runtime {
  readonly appId: string;
  readonly resolvedConfig: ResolvedConfig;
  readonly config: TaskappConfig;
  /** dev_mode_force_sync: calls run inline, on memory backends. */
  readonly devMode: boolean;
  readonly logger: Logger;
  readonly serializer: JsonSerializer;
  readonly errors: ErrorRegistry;
  /** Submitted/started/finished events of work in this process (metrics, monitors). */
  readonly events: AppEvents;
  /** The backends for this app's config (memory for every role in dev mode). */
  backends(): Promise<Backends>;
  /** The backends once created, else undefined: lets each attempt skip an await on backends(). */
  readonly loadedBackends: Backends | undefined;
  getTask(id: string): RuntimeTask<any, any> | undefined;
  taskIds(): string[];
  /** The servers this app writes to, passwords masked (for errors that name them). */
  describeServers(): string;
  /** Throws InvocationNotFoundError when the id is unknown. */
  getRecord(id: string): Promise<InvocationRecord>;
  invocation<R = unknown>(id: string): InvocationHandle<R>;
  /** Result value of a final record; throws the task's error for FAILED. */
  outcomeOf(rec: InvocationRecord): unknown;
  /** Stores an event for event triggers; returns the event id. */
  emit(code: string, payload?: unknown): Promise<string>;
  /** Listens to invocations becoming final in this process. */
  onFinal(listener: (recs: InvocationRecord[]) => void): () => void;
  /** Runners call this after they record final outcomes; a listener's error is logged, never thrown. */
  notifyFinal(recs: InvocationRecord[]): void;
  registerError(cls: ErrorClass): void;
  /**
   * Runner children and worker threads: adopt the parent's resolved config and, where given, backends
   * that forward to the parent (so any backend, memory included, works across processes).
   */
  attachToParent(resolved: ResolvedConfig, backends?: Backends): void;
  /** Stops the app's runners and closes its backend connections. */
  close(): Promise<void>;
}

/** Anything that carries a runtime: an App, and the tasks and invocations it made. */
export interface RuntimeHolder {
  readonly [RUNTIME]: Runtime;
}

export function runtimeOf(holder: RuntimeHolder): Runtime {
  return holder[RUNTIME];
}
