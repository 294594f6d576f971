/**
 * taskapp(): the app object. Holds the task registry, the serializer and error registry, the
 * resolved configuration and (lazily) the backends.
 */
import { loadConfig, type LoadOptions } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { createBackends, type Backends } from '../backends/registry.js';
import {
  ConfigError,
  DuplicateTaskError,
  InvocationNotFoundError,
  NoResultError,
  TaskappError,
} from '../core/errors.js';
import { Invocation } from './invocation.js';
import { createLogger, writeLine, type Logger } from '../core/logger.js';
import { LogShipper } from '../monitoring/log-shipper.js';
import { AppEvents } from '../core/events.js';
import type { InvocationRecord, NewInvocation } from '../core/records.js';
import { Task, type TaskArgs, type TaskFn } from './task.js';
import {
  resolveTaskOptions,
  type EffectiveTaskOptions,
  type TaskOptions,
} from '../runtime/task-options.js';
import { JsonSerializer, type SerializableClass } from '../serialization/serializer.js';
import { ErrorRegistry } from '../serialization/errors.js';
import type { Runner, RunnerOptions } from '../runners/runner.js';
import { runInline } from '../runners/inline.js';
import { emitEvent } from '../triggers/events.js';

type ErrorClass = abstract new (...args: any[]) => Error;

export interface TaskappOptions {
  appId?: string;
  /** Any config field in camelCase (backend, sqlite: { path }, runner: { concurrency }, ...). */
  [field: string]: unknown;
  /** Classes (toJSON + static fromJSON) that arguments and results may hold. */
  classes?: SerializableClass[];
  /** Error classes that result() re-throws as themselves. */
  errors?: ErrorClass[];
  /** Config file path; false: read none; default: TASKAPP__CONFIG or searched from cwd. */
  configFile?: string | false;
}

export class App {
  readonly serializer = new JsonSerializer();
  readonly errors = new ErrorRegistry();
  /** Submitted/started/finished events of work in this process (metrics, monitors). */
  readonly events = new AppEvents();
  private readonly tasks = new Map<string, Task<any, any>>();
  private readonly codeConfig: Record<string, unknown>;
  private loadOpts: LoadOptions;
  private resolved?: ResolvedConfig;
  private backendsPromise?: Promise<Backends>;
  private backendsLoaded?: Backends;
  private log?: Logger;
  private logShipper?: LogShipper;
  private readonly runners = new Set<Runner>();
  private readonly finalListeners = new Set<(recs: InvocationRecord[]) => void>();
  private metricsServer?: Promise<{ port: number; close(): Promise<void> }>;

  constructor(options: TaskappOptions = {}) {
    const { classes, errors, configFile, ...code } = options;
    for (const c of classes ?? []) {
      this.serializer.register(c);
    }
    for (const e of errors ?? []) {
      this.errors.register(e);
    }
    this.codeConfig = code;
    this.loadOpts = { code, configFile };
  }

  /** Adds config layers (the CLI's file, flags) before first use. */
  configure(opts: Omit<LoadOptions, 'code'>): void {
    if (this.backendsPromise) {
      throw new TaskappError(
        'APP_STARTED',
        'configure() must run before the app first uses its backends',
      );
    }
    this.loadOpts = { ...this.loadOpts, ...opts, code: this.codeConfig };
    this.resolved = undefined;
    this.log = undefined;
  }

  get resolvedConfig(): ResolvedConfig {
    return (this.resolved ??= loadConfig(this.loadOpts));
  }

  get config(): ResolvedConfig['config'] {
    return this.resolvedConfig.config;
  }

  get appId(): string {
    return this.config.app_id;
  }

  get devMode(): boolean {
    return this.config.dev_mode_force_sync;
  }

  get logger(): Logger {
    if (this.log) {
      return this.log;
    }
    const { logging_level: level, monitor } = this.config;
    if (!monitor.keep_logs) {
      return (this.log = createLogger(level, monitor.log_format, { app: this.appId }));
    }
    // keep_logs: every line still goes to stderr; those of an invocation are also stored for the monitor.
    const shipper = (this.logShipper ??= new LogShipper(async () => (await this.backends()).state));
    return (this.log = createLogger(level, monitor.log_format, { app: this.appId }, (line) => {
      writeLine(line, monitor.log_format);
      shipper.push(line);
    }));
  }

  registerClass(cls: SerializableClass, name?: string): void {
    this.serializer.register(cls, name);
  }

  registerError(cls: ErrorClass): void {
    this.errors.register(cls);
  }

  task<A extends TaskArgs, R>(
    name: string,
    fn: TaskFn<A, R>,
    options: TaskOptions = {},
  ): Task<A, Awaited<R>> {
    if (this.tasks.has(name)) {
      throw new DuplicateTaskError(name);
    }
    for (const e of options.retryFor ?? []) {
      if (typeof e !== 'string') {
        this.errors.register(e as unknown as ErrorClass);
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

  resolveTaskOptions(task: Task<any, any>): EffectiveTaskOptions {
    return resolveTaskOptions(task.id, task.codeOptions, this.resolvedConfig);
  }

  /** The backends for this app's config (memory for every role in dev mode). */
  backends(): Promise<Backends> {
    if (!this.backendsPromise) {
      const r = this.resolvedConfig;
      const resolved = this.devMode
        ? {
            ...r,
            config: {
              ...r.config,
              backend: 'memory' as const,
              broker: undefined,
              state_backend: undefined,
              orchestrator: undefined,
              trigger_store: undefined,
              data_store_backend: undefined,
            },
          }
        : r;
      const created = createBackends(resolved);
      this.backendsPromise = created;
      created.then(
        (b) => {
          if (this.backendsPromise === created) {
            this.backendsLoaded = b;
          }
        },
        () => {
          if (this.backendsPromise === created) {
            this.backendsPromise = undefined;
          }
        },
      );
    }
    return this.backendsPromise;
  }

  /** The backends once created, else undefined: lets each attempt skip an await on backends(). */
  get loadedBackends(): Backends | undefined {
    return this.backendsLoaded;
  }

  /**
   * Runner children and worker threads: adopt the parent's resolved config and, where given, backends
   * that forward to the parent (so any backend, memory included, works across processes).
   */
  attachToParent(resolved: ResolvedConfig, backends?: Backends): void {
    this.resolved = resolved;
    this.log = undefined;
    if (backends) {
      this.backendsPromise = Promise.resolve(backends);
      this.backendsLoaded = backends;
    }
  }

  /** A handle for an invocation id from elsewhere (CLI, logs). */
  invocation<R = unknown>(id: string): Invocation<R> {
    return new Invocation<R>(this, id);
  }

  /** Result value of a final record; throws the task's error for FAILED. */
  outcomeOf(rec: InvocationRecord): unknown {
    if (rec.status === 'SUCCESS') {
      return this.serializer.deserialize(rec.result!);
    }
    if (rec.status === 'FAILED') {
      throw this.errors.revive(rec.error!, this.serializer, rec.id);
    }
    throw new NoResultError(rec.id, rec.status);
  }

  /** Dev mode: runs a new invocation inline, through the same statuses as a runner would. */
  async runInline(inv: NewInvocation): Promise<void> {
    await runInline(this, inv);
  }

  /** Stores an event for event triggers (`on.event(code, filter)`); returns the event id. */
  emit(code: string, payload: unknown = {}): Promise<string> {
    return emitEvent(this, code, payload);
  }

  /** Listens to invocations becoming final in this process (status/result/exception triggers). */
  onFinal(listener: (recs: InvocationRecord[]) => void): () => void {
    this.finalListeners.add(listener);
    return () => {
      this.finalListeners.delete(listener);
    };
  }

  /** Runners call this after they record final outcomes; a listener's error is logged, never thrown. */
  notifyFinal(recs: InvocationRecord[]): void {
    if (!recs.length) {
      return;
    }
    for (const l of this.finalListeners) {
      try {
        l(recs);
      } catch (err) {
        this.logger.error('final-status listener failed', { error: (err as Error).stack });
      }
    }
  }

  async startRunner(opts: RunnerOptions = {}): Promise<Runner> {
    const kind = opts.runner ?? this.config.runner.kind;
    const { startRunner } = await import('../runners/index.js');
    const port = this.config.monitor.metrics_port;
    if (port !== undefined && !this.metricsServer) {
      // One /metrics per process, started with its first runner ([monitor] metrics_port).
      this.metricsServer = import('../monitoring/metrics.js').then((m) =>
        m.serveMetrics(this, port),
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
    const runner = await startRunner(this, { ...opts, runner: kind });
    this.runners.add(runner);
    void runner.done.finally(() => this.runners.delete(runner));
    return runner;
  }

  /** Stores buffered task log lines now (`[monitor] keep_logs`); they are otherwise written in batches. */
  async flushLogs(): Promise<void> {
    await this.logShipper?.flush();
  }

  /** Port of this process's runner /metrics endpoint, once started (`[monitor] metrics_port`). */
  async metricsPort(): Promise<number | undefined> {
    return (await this.metricsServer?.catch(() => undefined))?.port;
  }

  /** Stops runners started here and closes backend connections. */
  async close(): Promise<void> {
    await Promise.all([...this.runners].map((r) => r.stop()));
    await this.logShipper?.flush();
    const metrics = this.metricsServer;
    this.metricsServer = undefined;
    if (metrics) {
      await (await metrics.catch(() => undefined))?.close();
    }
    const b = this.backendsPromise;
    this.backendsPromise = undefined;
    this.backendsLoaded = undefined;
    if (b) {
      await (await b).close();
    }
  }

  /** Throws InvocationNotFoundError when the id is unknown. */
  async getRecord(id: string): Promise<InvocationRecord> {
    const rec = await (await this.backends()).state.get(id);
    if (!rec) {
      throw new InvocationNotFoundError(id);
    }
    return rec;
  }
}

export function taskapp(options: TaskappOptions = {}): App {
  return new App(options);
}
