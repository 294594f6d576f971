/**
 * The thread runner: in this process, async tasks share the event loop up to `concurrency` at once.
 * Claims in batches, writes status changes in batches, and frees a task's slot while it awaits
 * another task's result.
 */
import type { App } from '../core/app.js';
import { newRunnerId } from '../core/ids.js';
import type { InvocationRecord } from '../core/records.js';
import type { Backends } from '../backends/registry.js';
import type { WaitHooks } from '../orchestration/context.js';
import { runAttempt, type Outcome } from './execute.js';
import { Heartbeat } from './heartbeat.js';
import type { Runner, RunnerOptions } from './runner.js';
import { Slots } from './slots.js';
import { TransitionBatcher } from './transition-batcher.js';
import { isFinal } from '../core/status.js';
import { startTriggerLoop, type TriggerScheduler } from '../triggers/scheduler.js';

export class ThreadRunner implements Runner {
  readonly kind = 'thread';
  readonly id: string;
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly slots: Slots;
  private readonly inFlight = new Map<string, Promise<void>>();
  private stopping = false;
  private stopped = false;
  private b!: Backends;
  private batcher!: TransitionBatcher;
  private heartbeat!: Heartbeat;
  private loopDone?: Promise<void>;
  private triggers: TriggerScheduler | null = null;

  constructor(private readonly app: App, private readonly opts: RunnerOptions = {}) {
    this.id = newRunnerId('thread');
    this.slots = new Slots(opts.concurrency ?? app.config.runner.concurrency);
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  async start(): Promise<this> {
    this.b = await this.app.backends();
    this.batcher = new TransitionBatcher(this.b.orchestrator);
    const cfg = this.app.config.runner;
    this.heartbeat = new Heartbeat(this.b.state, this.id, this.kind, cfg.heartbeat_interval_seconds * 1000,
      () => ({ concurrency: this.slots.size, inFlight: this.inFlight.size }), this.app.logger);
    // Triggers first: a bad cron in config fails the start before this runner says it is alive.
    this.triggers = await startTriggerLoop(this.app, this.b);
    await this.heartbeat.start();
    this.loopDone = this.loop().catch((err) => {
      this.app.logger.error('runner loop failed', { runner: this.id, error: (err as Error).stack });
      void this.stop();
    });
    return this;
  }

  private async loop(): Promise<void> {
    const { broker, hot } = this.b;
    const batch = this.app.config.runner.claim_batch_size;
    while (!this.stopping) {
      await this.slots.whenClaimable();
      if (this.stopping) break;
      const started = await hot.claimAndStart(Math.min(this.slots.claimable, batch), this.opts.once ? 100 : 1000, this.id);
      if (started.length === 0) {
        if (this.opts.once && this.inFlight.size === 0 && (await broker.count()) === 0) break;
        continue;
      }
      if (this.stopping) { await this.reroute(started.map((r) => r.id)); break; }
      for (const rec of started) {
        this.slots.take();
        const p = this.execute(rec).finally(() => { this.inFlight.delete(rec.id); this.slots.release(); });
        this.inFlight.set(rec.id, p);
      }
    }
    if (!this.stopping) void this.stop();
  }

  private async execute(rec: InvocationRecord): Promise<void> {
    const hooks: WaitHooks = {
      pause: async () => {
        await this.batcher.submit({ id: rec.id, to: 'PAUSED', runnerId: this.id });
        this.slots.release();
      },
      resume: async () => {
        await this.slots.acquire();
        await this.batcher.submit({ id: rec.id, to: 'RESUMED', runnerId: this.id });
      },
    };
    let out: Outcome;
    try {
      out = await runAttempt(this.app, rec, this.id, hooks);
    } catch (err) {
      this.app.logger.error('attempt crashed', { invocation: rec.id, error: (err as Error).stack });
      return;
    }
    try {
      await this.finish(rec, out);
    } catch (err) {
      // Lost ownership (recovered elsewhere, or rerouted at shutdown): the other owner decides.
      this.app.logger.warn('could not record outcome', { invocation: rec.id, status: out.to, error: (err as Error).message });
    }
  }

  private async finish(rec: InvocationRecord, out: Outcome): Promise<void> {
    const done = await this.batcher.submit({ id: rec.id, to: out.to, runnerId: this.id, ...(out.to === 'SUCCESS' ? { result: out.result } : { error: out.error }) });
    if (isFinal(done.status)) this.app.notifyFinal([done]);
    if (out.to === 'RETRY') await this.b.broker.route([{ id: rec.id, priority: rec.priority, notBefore: Date.now() + out.delayMs }]);
  }

  /** PENDING or RUNNING/PAUSED invocations this runner gives back to the queue. */
  private async reroute(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const { orchestrator, broker } = this.b;
    const recs = await this.b.state.getMany(ids);
    const now = Date.now();
    const mine = recs.filter((r) => r.owner === this.id);
    const killFirst = mine.filter((r) => r.status !== 'PENDING');
    await orchestrator.transitionMany(killFirst.map((r) => ({ id: r.id, to: 'KILLED' as const, runnerId: this.id })), now);
    const rerouted = await orchestrator.transitionMany(mine.map((r) => ({ id: r.id, to: 'REROUTED' as const, runnerId: this.id })), now);
    await broker.route(rerouted.filter((r): r is InvocationRecord => !(r instanceof Error)).map((r) => ({ id: r.id, priority: r.priority })));
  }

  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    if (this.stopping) return this.done;
    this.stopping = true;
    this.b?.broker.interrupt();
    this.slots.wakeAll();
    await this.loopDone;
    const graceMs = opts.graceMs ?? this.app.config.runner.shutdown_grace_seconds * 1000;
    const all = Promise.all(this.inFlight.values());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    if (this.inFlight.size) await this.reroute([...this.inFlight.keys()]);
    await this.triggers?.stop();
    await this.heartbeat?.stop().catch(() => {});
    this.stopped = true;
    this.resolveDone();
  }
}

export async function startThreadRunner(app: App, opts: RunnerOptions): Promise<ThreadRunner> {
  return new ThreadRunner(app, opts).start();
}
