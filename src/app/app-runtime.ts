/**
 * The App's runtime: its resolved configuration, logger, serializer, error registry and (lazily)
 * backends, handed to runners, triggers, workflows and monitoring as a Runtime. The App facade
 * holds one and shows only the user API.
 */
import { loadConfig, type LoadOptions } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { createBackends, describeServers, type Backends } from '../backends/registry.js';
import { InvocationNotFoundError, NoResultError, TaskappError } from '../core/errors.js';
import { createLogger, writeLine, type Logger } from '../core/logger.js';
import { LogShipper } from '../monitoring/log-shipper.js';
import { AppEvents } from '../core/events.js';
import type { InvocationRecord, NewInvocation } from '../core/records.js';
import { JsonSerializer } from '../serialization/serializer.js';
import { ErrorRegistry } from '../serialization/errors.js';
import { runInline } from '../runners/inline.js';
import { emitEvent } from '../triggers/events.js';
import type { TxHandle } from '../backends/tx-enqueue.js';
import type { ErrorClass, Runtime, RuntimeTask } from '../runtime/runtime.js';
import type { InvocationHandle } from '../runtime/task-context.js';

/** What the runtime asks of the App that holds it: its task registry, handles, and close(). */
export interface RuntimeOwner {
  getTask(id: string): RuntimeTask<any, any> | undefined;
  taskIds(): string[];
  invocation<R>(id: string): InvocationHandle<R>;
  close(): Promise<void>;
}

export class AppRuntime implements Runtime {
  readonly serializer = new JsonSerializer();
  readonly errors = new ErrorRegistry();
  readonly events = new AppEvents();
  private loadOpts: LoadOptions;
  private resolved?: ResolvedConfig;
  private backendsPromise?: Promise<Backends>;
  private backendsLoaded?: Backends;
  private log?: Logger;
  private logShipper?: LogShipper;
  private readonly finalListeners = new Set<(recs: InvocationRecord[]) => void>();

  constructor(
    private readonly owner: RuntimeOwner,
    private readonly codeConfig: Record<string, unknown>,
    configFile: string | false | undefined,
  ) {
    this.loadOpts = { code: codeConfig, configFile };
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

  /** The servers this app writes to, for errors (passwords masked). */
  describeServers(): string {
    return describeServers(this.config);
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

  registerError(cls: ErrorClass): void {
    this.errors.register(cls);
  }

  getTask(id: string): RuntimeTask<any, any> | undefined {
    return this.owner.getTask(id);
  }

  taskIds(): string[] {
    return this.owner.taskIds();
  }

  invocation<R = unknown>(id: string): InvocationHandle<R> {
    return this.owner.invocation<R>(id);
  }

  close(): Promise<void> {
    return this.owner.close();
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

  /** Whether backends() has been called (configure() is too late then). */
  get started(): boolean {
    return this.backendsPromise !== undefined;
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

  /** Result value of a final record; throws the task's error for FAILED. */
  outcomeOf(rec: InvocationRecord): unknown {
    if (rec.status === 'SUCCESS') {
      return this.serializer.deserialize(rec.result!);
    }
    if (rec.status === 'FAILED' || (rec.status === 'CANCELLED' && rec.error)) {
      throw this.errors.revive(rec.error!, this.serializer, rec.id);
    }
    throw new NoResultError(rec.id, rec.status);
  }

  /** Dev mode: runs a new invocation inline, through the same statuses as a runner would. */
  async runInline(inv: NewInvocation): Promise<void> {
    await runInline(this, inv);
  }

  /** Stores an event for event triggers (`on.event(code, filter)`); returns the event id. */
  emit(code: string, payload: unknown = {}, opts: { tx?: TxHandle } = {}): Promise<string> {
    return emitEvent(this, code, payload, opts);
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

  /** Stores buffered task log lines now (`[monitor] keep_logs`); they are otherwise written in batches. */
  async flushLogs(): Promise<void> {
    await this.logShipper?.flush();
  }

  /** Closes the backend connections (after the owner stopped its runners). */
  async closeBackends(): Promise<void> {
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
