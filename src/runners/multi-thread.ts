/**
 * The multi-thread runner: child processes, each a thread runner with `concurrency` slots on the
 * shared backend (sqlite, redis, postgres), scaled between `min_processes` and `max_processes` by
 * queue depth; a child idle for `idle_timeout_seconds` above the minimum stops. The parent
 * heartbeats, runs recovery, and reroutes a dead child's work at once.
 */
import { availableParallelism } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { Runtime } from '../runtime/runtime.js';
import { ConfigError } from '../core/errors.js';
import { newRunnerId } from '../core/ids.js';
import type { Backends } from '../backends/registry.js';
import {
  HELD_STATUSES,
  type RecoveryService,
  recoveryCapOf,
  rerouteForRecovery,
} from '../runtime/recovery.js';
import type { RetentionService } from '../runtime/retention.js';
import type { OutboxRelay } from '../runtime/outbox.js';
import type { Heartbeat } from './heartbeat.js';
import { startLiveness } from './liveness.js';
import { ProcessHold } from './keep-alive.js';
import { forkGuest, requireAppModule } from './remote/spawn.js';
import type { Runner, RunnerHealth, RunnerOptions, StopOptions } from './runner.js';

interface Child {
  proc: ChildProcess;
  runnerId?: string;
  inFlight: number;
  idleSince: number;
  stopping: boolean;
}

class MultiThreadRunner implements Runner {
  readonly kind = 'multi-thread';
  readonly id = newRunnerId('multi-thread');
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly children = new Set<Child>();
  private backends!: Backends;
  private heartbeat?: Heartbeat;
  private recovery?: RecoveryService;
  private retention?: RetentionService;
  private outbox?: OutboxRelay;
  private scaler?: NodeJS.Timeout;
  private stopping = false;
  private begun?: Promise<void>;
  private readonly appModule: string[];
  private readonly min: number;
  private readonly max: number;
  private readonly concurrency: number;
  private readonly hold = new ProcessHold();

  constructor(
    private readonly app: Runtime,
    private readonly opts: RunnerOptions = {},
  ) {
    this.appModule = requireAppModule('multi-thread', opts.appModule);
    const cfg = app.config.runner;
    this.min = cfg.min_processes;
    this.max = Math.max(this.min, opts.processes ?? cfg.max_processes ?? availableParallelism());
    this.concurrency = opts.concurrency ?? cfg.concurrency;
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get childCount(): number {
    return this.children.size;
  }

  start(): Promise<this> {
    return this.hold.start(() => this.startUp());
  }

  private async startUp(): Promise<this> {
    this.backends = await this.app.backends();
    if (this.backends.names.broker === 'memory' || this.backends.names.state === 'memory') {
      throw new ConfigError(
        'the multi-thread runner needs a backend its child processes can share; the memory backend lives in one process',
        'use backend = "sqlite" (or redis/postgres), or run --runner persistent-process, which works with memory',
      );
    }
    ({
      heartbeat: this.heartbeat,
      recovery: this.recovery,
      retention: this.retention,
      outbox: this.outbox,
    } = await startLiveness(this.app, this.backends, {
      id: this.id,
      kind: this.kind,
      meta: () => ({
        children: [...this.children].map((c) => ({
          pid: c.proc.pid,
          runner: c.runnerId,
          inFlight: c.inFlight,
        })),
      }),
    }));
    if (this.opts.autorun !== false) {
      await this.begin();
    }
    return this;
  }

  /** Children claim for themselves, so `autorun: false` defers spawning them. */
  health(): RunnerHealth {
    return { draining: this.stopping, lastBeatAt: this.heartbeat?.lastBeatAt };
  }

  run(): void {
    void this.begin().catch((err) =>
      this.app.logger.error('could not start child processes', {
        runner: this.id,
        error: (err as Error).message,
      }),
    );
  }

  private begin(): Promise<void> {
    if (this.stopping) {
      return Promise.resolve();
    }
    return (this.begun ??= (async () => {
      await Promise.all(Array.from({ length: this.min }, () => this.spawn()));
      this.scaler = setInterval(
        () =>
          void this.scale().catch((err) =>
            this.app.logger.warn('scaling failed', { error: (err as Error).message }),
          ),
        500,
      );
      this.scaler.unref();
    })());
  }

  private async spawn(): Promise<void> {
    const { child, handle, ready } = forkGuest({
      app: this.app,
      b: this.backends,
      appModule: this.appModule,
      runnerId: this.id,
      mode: 'thread',
      concurrency: this.concurrency,
    });
    const c: Child = { proc: child, inFlight: 0, idleSince: Date.now(), stopping: false };
    this.children.add(c);
    const starting = handle.onOther;
    handle.onOther = (msg) => {
      starting(msg);
      if (msg.t === 'ready') {
        c.runnerId = msg.runnerId;
      }
      if (msg.t === 'load') {
        if (msg.inFlight > 0 || c.inFlight > 0) {
          c.idleSince = Date.now();
        }
        c.inFlight = msg.inFlight;
      }
    };
    child.once('exit', (code, signal) => void this.onExit(c, code, signal));
    await ready.catch((err) => {
      this.children.delete(c);
      throw err;
    });
  }

  /** A child that died without stopping: its thread runner's work goes back to the queue now. */
  private async onExit(c: Child, code: number | null, signal: string | null): Promise<void> {
    this.children.delete(c);
    if (c.stopping || this.stopping || !c.runnerId) {
      return;
    }
    this.app.logger.warn('child runner exited; rerouting its work', {
      runner: this.id,
      child: c.runnerId,
      code,
      signal,
    });
    const held = await this.backends.state.list({
      owner: c.runnerId,
      statuses: [...HELD_STATUSES, 'PENDING'],
    });
    const { failed } = await rerouteForRecovery(
      this.backends,
      held,
      this.id,
      recoveryCapOf(this.app),
    );
    this.app.notifyFinal(failed);
    await this.backends.state.removeRunner(c.runnerId);
    if (this.children.size < this.min) {
      await this.spawn().catch(() => {});
    }
  }

  /** One child more while the queue holds more than the children can take; idle ones above min stop. */
  private async scale(): Promise<void> {
    if (this.stopping) {
      return;
    }
    const live = [...this.children].filter((c) => !c.stopping);
    const depth = await this.backends.broker.count();
    if (
      this.opts.once &&
      depth === 0 &&
      live.every((c) => c.inFlight === 0) &&
      (await this.backends.state.countByStatus()).RUNNING === undefined
    ) {
      void this.stop({ reason: 'queue drained (once)' });
      return;
    }
    const free = live.reduce((n, c) => n + Math.max(0, this.concurrency - c.inFlight), 0);
    if (depth > free && live.length < this.max) {
      await this.spawn();
      return;
    }
    const idleMs = this.app.config.runner.idle_timeout_seconds * 1000;
    const now = Date.now();
    for (const c of live) {
      if (live.filter((x) => !x.stopping).length <= this.min) {
        break;
      }
      if (c.inFlight === 0 && depth === 0 && now - c.idleSince >= idleMs) {
        c.stopping = true;
        c.proc.send({ t: 'stop' });
      }
    }
  }

  stop(opts: StopOptions = {}): Promise<void> {
    return this.hold.stop(() => this.doStop(opts));
  }

  private async doStop(opts: StopOptions): Promise<void> {
    this.stopping = true;
    this.app.logger.info('runner stopping', {
      runner: this.id,
      reason: opts.reason ?? 'stop() called',
    });
    clearInterval(this.scaler);
    const graceMs = opts.graceMs ?? this.app.config.runner.shutdown_grace_seconds * 1000;
    await Promise.all(
      [...this.children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null || c.proc.signalCode !== null) {
              resolve();
              return;
            }
            c.proc.once('exit', () => resolve());
            c.stopping = true;
            if (c.proc.connected) {
              c.proc.send({ t: 'stop', graceMs });
            } else {
              c.proc.kill('SIGKILL');
            }
          }),
      ),
    );
    await this.recovery?.stop();
    await this.retention?.stop();
    await this.outbox?.stop();
    await this.heartbeat?.stop().catch(() => {});
    this.resolveDone();
  }
}

export async function startMultiThreadRunner(
  app: Runtime,
  opts: RunnerOptions,
): Promise<MultiThreadRunner> {
  return new MultiThreadRunner(app, opts).start();
}
