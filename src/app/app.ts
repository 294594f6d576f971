/**
 * taskapp(): the app object, the user API: tasks, invocations, events, runners. Its runtime
 * (configuration, serializer, error registry, backends) is an AppRuntime it holds under RUNTIME.
 */
import type { LoadOptions } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { CodeConfig } from '../config/schema.js';
import {
  ConfigError,
  DuplicateTaskError,
  InvalidTaskNameError,
  UnknownTaskError,
} from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AppEvents } from '../core/events.js';
import type { InvocationRecord } from '../core/records.js';
import type { SerializableClass } from '../serialization/serializer.js';
import type { Runner, RunnerOptions } from '../runners/runner.js';
import { RUNTIME, type ErrorClass } from '../runtime/runtime.js';
import type { TaskArgs, TaskFn } from '../runtime/task-context.js';
import type { TaskOptions } from '../runtime/task-options.js';
import { AppRuntime, type RuntimeOwner } from './app-runtime.js';
import { Invocation } from './invocation.js';
import { Task } from './task.js';
import { Outbox } from './outbox.js';
import { closeOutbox } from '../runtime/outbox.js';
import { cancelInvocations, type CancelOptions, type CancelResult } from '../runtime/cancel.js';
import { taskPausesOf } from '../runtime/task-pauses.js';
import type { TxHandle } from '../backends/tx-enqueue.js';

/** Config fields in camelCase (see CodeConfig: a misspelt field fails to compile), plus: */
export interface TaskappOptions extends CodeConfig {
  /** Classes (toJSON + static fromJSON) that arguments and results may hold. */
  classes?: SerializableClass[];
  /** Error classes that result() re-throws as themselves. */
  errors?: ErrorClass[];
  /** Config file path; false: read none; default: TASKAPP__CONFIG or searched from cwd. */
  configFile?: string | false;
}

export class App implements RuntimeOwner {
  /** @internal The engine's view of this app (runners, triggers, monitoring, the CLI). */
  readonly [RUNTIME]: AppRuntime;
  private readonly tasks = new Map<string, Task<any, any>>();
  private readonly runners = new Set<Runner>();
  private metricsServer?: Promise<{ port: number; close(): Promise<void> }>;

  constructor(options: TaskappOptions = {}) {
    const { classes, errors, configFile, ...code } = options;
    const runtime = (this[RUNTIME] = new AppRuntime(this, code, configFile));
    for (const c of classes ?? []) {
      runtime.serializer.register(c);
    }
    for (const e of errors ?? []) {
      runtime.errors.register(e);
    }
  }

  /** Adds config layers (the CLI's file, flags) before first use. */
  configure(opts: Omit<LoadOptions, 'code'>): void {
    this[RUNTIME].configure(opts);
  }

  /** The configuration with where each value came from (file, env, code, defaults). */
  get resolvedConfig(): ResolvedConfig {
    return this[RUNTIME].resolvedConfig;
  }

  get config(): ResolvedConfig['config'] {
    return this[RUNTIME].config;
  }

  get appId(): string {
    return this[RUNTIME].appId;
  }

  get devMode(): boolean {
    return this[RUNTIME].devMode;
  }

  get logger(): Logger {
    return this[RUNTIME].logger;
  }

  /** Submitted/started/finished events of work in this process (metrics, monitors). */
  get events(): AppEvents {
    return this[RUNTIME].events;
  }

  registerClass(cls: SerializableClass, name?: string): void {
    this[RUNTIME].serializer.register(cls, name);
  }

  registerError(cls: ErrorClass): void {
    this[RUNTIME].registerError(cls);
  }

  task<A extends TaskArgs, R>(
    name: string,
    fn: TaskFn<A, R>,
    options: TaskOptions = {},
  ): Task<A, Awaited<R>> {
    checkTaskName(name);
    if (this.tasks.has(name)) {
      throw new DuplicateTaskError(name);
    }
    for (const e of options.retryFor ?? []) {
      if (typeof e !== 'string') {
        this[RUNTIME].registerError(e as unknown as ErrorClass);
      }
    }
    const t = new Task<A, Awaited<R>>(this, name, fn as TaskFn<A, Awaited<R>>, options);
    this.tasks.set(name, t);
    return t;
  }

  getTask(id: string): Task<any, any> | undefined {
    return this.tasks.get(id);
  }

  taskIds(): string[] {
    return [...this.tasks.keys()];
  }

  /** A handle for an invocation id from elsewhere (CLI, logs). */
  invocation<R = unknown>(id: string): Invocation<R> {
    return new Invocation<R>(this, id);
  }

  /** Stores an event for event triggers (`on.event(code, filter)`); returns the event id. */
  /**
   * Cancels invocations by id (see Invocation.cancel): waiting ones go CANCELLED at once, running
   * ones are stopped by their runner. One result per invocation reached, children included.
   */
  cancel(ids: string[], opts: CancelOptions = {}): Promise<CancelResult[]> {
    return cancelInvocations(this[RUNTIME], ids, opts);
  }

  /**
   * Pauses a task's processing on every runner and host, kept across restarts: its queued
   * invocations wait (parked) until resumeTask. Returns how many were queued and are now parked.
   */
  async pauseTask(name: string): Promise<{ task: string; parked: number }> {
    this.requireTask(name);
    return { task: name, parked: await (await taskPausesOf(this[RUNTIME])).pause(name) };
  }

  /** Resumes a paused task: its parked invocations go back to the queue and runners are woken. */
  async resumeTask(name: string): Promise<{ task: string; resumed: number }> {
    this.requireTask(name);
    return { task: name, resumed: await (await taskPausesOf(this[RUNTIME])).resume(name) };
  }

  /** The paused tasks, each with how many invocations it has parked. */
  async pausedTasks(): Promise<Record<string, number>> {
    return (await taskPausesOf(this[RUNTIME])).parkedCounts();
  }

  /** A typo would pause nothing and say nothing: only registered tasks. */
  private requireTask(name: string): void {
    if (!this.tasks.has(name)) {
      throw new UnknownTaskError(name, this.taskIds().sort());
    }
  }

  /**
   * `opts.tx`: store the event through your own open transaction (README, "Transactional
   * enqueue"); triggers see it once that commits.
   */
  emit(code: string, payload: unknown = {}, opts: { tx?: TxHandle } = {}): Promise<string> {
    return this[RUNTIME].emit(code, payload, opts);
  }

  /**
   * Calls written to the outbox table of your own PostgreSQL database ([outbox] url) through
   * `client`, inside its open transaction: for backends that cannot share that transaction
   * (redis, rabbitmq, a taskapp database apart from yours). Runners relay them exactly once.
   * With backend postgres or sqlite on your database, prefer task.call(args, { tx: client }).
   */
  outbox(client: TxHandle): Outbox {
    return new Outbox(this, client);
  }

  /** Listens to invocations becoming final in this process (status/result/exception triggers). */
  onFinal(listener: (recs: InvocationRecord[]) => void): () => void {
    return this[RUNTIME].onFinal(listener);
  }

  async startRunner(opts: RunnerOptions = {}): Promise<Runner> {
    const kind = opts.runner ?? this.config.runner.kind;
    const { startRunner } = await import('../runners/index.js');
    const port = this.config.monitor.metrics_port;
    if (port !== undefined && !this.metricsServer) {
      // One /metrics per process, started with its first runner ([monitor] metrics_port).
      this.metricsServer = import('../monitoring/metrics.js').then((m) =>
        m.serveMetrics(this[RUNTIME], port),
      );
      this.metricsServer.catch(() => {
        this.metricsServer = undefined;
      });
      await this.metricsServer.catch((err: NodeJS.ErrnoException) => {
        throw new ConfigError(
          `cannot serve metrics on port ${port} ([monitor] metrics_port): ${err.code ?? err.message}`,
          'pick a free port for each runner process, or unset metrics_port',
          err,
        );
      });
    }
    const runner = await startRunner(this[RUNTIME], { ...opts, runner: kind });
    this.runners.add(runner);
    void runner.done.finally(() => this.runners.delete(runner));
    return runner;
  }

  /** Stores buffered task log lines now (`[monitor] keep_logs`); they are otherwise written in batches. */
  async flushLogs(): Promise<void> {
    await this[RUNTIME].flushLogs();
  }

  /** Port of this process's runner /metrics endpoint, once started (`[monitor] metrics_port`). */
  async metricsPort(): Promise<number | undefined> {
    return (await this.metricsServer?.catch(() => undefined))?.port;
  }

  /** Stops runners started here and closes backend connections. */
  async close(): Promise<void> {
    await Promise.all([...this.runners].map((r) => r.stop()));
    await this[RUNTIME].flushLogs();
    const metrics = this.metricsServer;
    this.metricsServer = undefined;
    if (metrics) {
      await (await metrics.catch(() => undefined))?.close();
    }
    await closeOutbox(this[RUNTIME]);
    await this[RUNTIME].closeBackends();
  }

  /** Throws InvocationNotFoundError when the id is unknown. */
  getRecord(id: string): Promise<InvocationRecord> {
    return this[RUNTIME].getRecord(id);
  }
}

export function taskapp(options: TaskappOptions = {}): App {
  return new App(options);
}

const MAX_TASK_NAME_LENGTH = 200;

/** Control characters (newlines, tabs, escape codes: C0, DEL, C1) would split tables or drive the terminal. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function checkTaskName(name: unknown): void {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidTaskNameError(String(name), 'it must be a non-empty string');
  }
  if (CONTROL_CHARS.test(name)) {
    throw new InvalidTaskNameError(
      name,
      'it must not contain control characters (newlines, tabs, escape codes)',
    );
  }
  if (name.length > MAX_TASK_NAME_LENGTH) {
    throw new InvalidTaskNameError(name, `it must be at most ${MAX_TASK_NAME_LENGTH} characters`);
  }
}
