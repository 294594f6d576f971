/**
 * The host side of one guest (child process or worker thread): sends it invocations (batched per
 * event-loop turn), answers its backend calls from the runner's own backends, turns its wait hooks
 * into the runner's slot logic, enforces `timeout_seconds` by killing it (at once, or as a backstop
 * after a grace period when the guest enforces timeouts itself), and tells the runner how each
 * invocation ended, including when the guest died with it.
 */
import { attemptTimeoutSeconds } from '../../runtime/attempt-timeout.js';
import type { Runtime } from '../../runtime/runtime.js';
import { TaskappError, TaskTimeoutError, WorkerExitedError } from '../../core/errors.js';
import type { InvocationRecord } from '../../core/records.js';
import type { Backends } from '../../backends/registry.js';
import type { FinalWatch } from '../../backends/state-backend.js';
import type { WaitHooks } from '../../orchestration/context.js';
import { failureOutcome, type Outcome } from '../execute.js';
import { RPC_METHODS, type ToGuest, type ToHost } from './protocol.js';

interface GuestChannel {
  send(msg: ToGuest): void;
  /** Stops the guest at once (SIGKILL, worker.terminate()). */
  kill(): void;
}

export type RunEnd =
  | { kind: 'outcome'; out: Outcome }
  /** The guest exited while holding the invocation. */
  | {
      kind: 'exit';
      timedOut: boolean;
      paused: boolean;
      code: number | null;
      signal: string | null;
      /** Another invocation the guest held called process.exit() or timed out: this one only went down with it. */
      bystander: boolean;
    };

interface Held {
  rec: InvocationRecord;
  hooks: WaitHooks;
  paused: boolean;
  /** The last pause or resume asked for: the next one starts after it (see `call`). */
  hookChain: Promise<unknown>;
  timedOut: boolean;
  timer?: NodeJS.Timeout;
  /** Cancelled: the kill that follows if it has not ended within CANCEL_KILL_GRACE_MS. */
  cancelTimer?: NodeJS.Timeout;
  /** Its guest was killed for its cancel (not a bystander of that kill). */
  cancelKilled?: boolean;
  resolve: (end: RunEnd) => void;
}

/** With guest-enforced timeouts: how long past its timeout an invocation may hold its guest before the kill. */
export const TIMEOUT_KILL_GRACE_MS = 2000;
/** How long a cancelled invocation has to end once its ctx.signal aborted, before its guest is killed. */
export const CANCEL_KILL_GRACE_MS = 5000;

export class GuestHandle {
  private readonly held = new Map<string, Held>();
  private readonly watches = new Map<number, FinalWatch>();
  private outbox: InvocationRecord[] = [];
  private exited = false;
  /** A timeout kill was sent: the guest is going down. */
  private killing = false;
  /** The invocation that called process.exit(), once the guest says so. */
  private exitedBy?: string;
  /** Tasks the guest's modules registered (from its ready message): the ones it can run. */
  taskIds: readonly string[] = [];
  /** Messages other than run traffic (ready, fatal, load). */
  onOther: (msg: ToHost) => void = () => {};

  /**
   * `killGraceMs`: how long past `timeout_seconds` an invocation may run before its guest is killed;
   * 0 when the host is the only one enforcing timeouts, a few seconds when the guest enforces them
   * itself and the kill only ends a guest stuck in synchronous code.
   */
  constructor(
    readonly ch: GuestChannel,
    private readonly backends: Backends,
    private readonly app: Runtime,
    private readonly killGraceMs = 0,
  ) {}

  /** Invocations this guest holds (running or paused). */
  get size(): number {
    return this.held.size;
  }
  /** False once it exited or a timeout kill was sent (it takes no new work while it goes down). */
  get alive(): boolean {
    return !this.exited && !this.killing;
  }
  ids(): string[] {
    return [...this.held.keys()];
  }

  run(rec: InvocationRecord, hooks: WaitHooks): Promise<RunEnd> {
    if (this.exited) {
      return Promise.resolve({
        kind: 'exit',
        timedOut: false,
        paused: false,
        code: null,
        signal: 'SIGKILL',
        bystander: false,
      });
    }
    return new Promise((resolve) => {
      const h: Held = {
        rec,
        hooks,
        paused: false,
        hookChain: Promise.resolve(),
        timedOut: false,
        resolve,
      };
      const seconds = this.timeoutOf(rec);
      if (seconds !== undefined) {
        h.timer = setTimeout(() => this.killFor(h), seconds * 1000 + this.killGraceMs);
      }
      this.held.set(rec.id, h);
      this.outbox.push(rec);
      if (this.outbox.length === 1) {
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Only the invocation whose timer fires first is timed out: others past their timeout by then
   * (a guest stuck in one invocation's synchronous code runs none of the others) are its bystanders.
   */
  private killFor(h: Held, why: 'timeout' | 'cancel' = 'timeout'): void {
    if (this.killing) {
      return;
    }
    this.killing = true;
    if (why === 'timeout') {
      h.timedOut = true;
    } else {
      h.cancelKilled = true;
    }
    this.ch.kill();
  }

  /**
   * Asks the guest to abort `id`'s ctx.signal; kills the guest if it still holds it after
   * `graceMs` (its neighbours are rerun elsewhere, as for a timeout kill). False if not held here.
   */
  cancel(id: string, reason: string, graceMs = CANCEL_KILL_GRACE_MS): boolean {
    const h = this.held.get(id);
    if (!h) {
      return false;
    }
    if (!h.cancelTimer) {
      this.send({ t: 'cancel', id, reason });
      h.cancelTimer = setTimeout(() => this.killFor(h, 'cancel'), graceMs);
    }
    return true;
  }

  private timeoutOf(rec: InvocationRecord): number | undefined {
    try {
      return attemptTimeoutSeconds(this.app, rec);
    } catch {
      return undefined;
    }
  }

  private flush(): void {
    const recs = this.outbox;
    this.outbox = [];
    if (recs.length) {
      this.send({ t: 'run', recs });
    }
  }

  private send(msg: ToGuest): void {
    if (this.exited) {
      return;
    }
    try {
      this.ch.send(msg);
    } catch {
      /* the exit handler settles what it held */
    }
  }

  handle(msg: ToHost): void {
    if (msg.t === 'done') {
      for (const { id, out } of msg.outs) {
        this.settle(id, { kind: 'outcome', out });
      }
    } else if (msg.t === 'rpc') {
      this.answer(msg.id, msg.role, msg.method, msg.args);
    } else if (msg.t === 'exiting') {
      this.exitedBy = msg.id;
    } else {
      this.onOther(msg);
    }
  }

  private settle(id: string, end: RunEnd): void {
    const h = this.held.get(id);
    if (!h) {
      return;
    }
    this.held.delete(id);
    clearTimeout(h.timer);
    clearTimeout(h.cancelTimer);
    h.resolve(end);
  }

  private answer(id: number, role: string, method: string, args: unknown[]): void {
    this.call(role, method, args).then(
      (value) => this.send({ t: 'rpc-res', id, ok: true, value }),
      (err) =>
        this.send({
          t: 'rpc-res',
          id,
          ok: false,
          error: this.app.errors.serialize(err, this.app.serializer),
        }),
    );
  }

  private async call(role: string, method: string, args: unknown[]): Promise<unknown> {
    if (role === 'hooks') {
      const h = this.held.get(args[0] as string);
      if (!h) {
        throw new TaskappError('RPC', `invocation ${String(args[0])} is not held by this guest`);
      }
      if (method === 'pause' || method === 'resume') {
        // The guest sends its pause without waiting for it, and its resume right after once the
        // awaited result is there: run them one after the other, so RESUMED is never written
        // before the PAUSED it follows (two writes in flight at once may land in either order).
        const step = h.hookChain.then(async () => {
          await (method === 'pause' ? h.hooks.pause() : h.hooks.resume());
          h.paused = method === 'pause';
        });
        h.hookChain = step.catch(() => {});
        await step;
        return null;
      }
    }
    if (role === 'watch') {
      if (method === 'open') {
        this.watches.set(args[0] as number, this.backends.state.watchFinal(args[1] as string[]));
        return null;
      }
      const w = this.watches.get(args[0] as number);
      if (method === 'next') {
        return w ? w.next(args[1] as number) : [];
      }
      if (method === 'close') {
        w?.close();
        this.watches.delete(args[0] as number);
        return null;
      }
    }
    if (!RPC_METHODS[role]?.includes(method)) {
      throw new TaskappError('RPC', `a task process may not call ${role}.${method}`);
    }
    const target = this.backends[role as 'state'] as unknown as Record<
      string,
      (...a: unknown[]) => Promise<unknown>
    >;
    return target[method]!(...args);
  }

  /** The guest is gone: every invocation it held ends with how it died. */
  exit(code: number | null, signal: string | null): void {
    if (this.exited) {
      return;
    }
    this.exited = true;
    for (const w of this.watches.values()) {
      w.close();
    }
    this.watches.clear();
    const by = this.exitedBy;
    for (const [id, h] of this.held) {
      this.settle(id, {
        kind: 'exit',
        timedOut: h.timedOut,
        paused: h.paused,
        code,
        signal,
        // A kill for another invocation's timeout (a worker thread's exit has no signal) takes this one down too.
        bystander:
          (by !== undefined && by !== id) || (this.killing && !h.timedOut && !h.cancelKilled),
      });
    }
  }

  stop(graceMs?: number): void {
    this.send({ t: 'stop', graceMs });
  }
}

/** What the runner does with an invocation once its guest is done with it. */
export type Disposition =
  /** `paused`: it was killed while PAUSED (waiting on another invocation): RESUMED comes first. */
  { kind: 'finish'; out: Outcome; paused?: boolean } | { kind: 'recover' } | { kind: 'drop' };

/**
 * An exit while running: a timeout kill fails the attempt with TaskTimeoutError (retried if the task
 * retries on it); an exit with a code (process.exit(), a fatal error) fails it with WorkerExitedError,
 * since rerunning would only exit again; a kill from outside (signal), work paused at the time, and
 * bystanders of another invocation's process.exit() or timeout kill are rerun elsewhere (recovery).
 * While the runner itself is stopping, it reroutes what is left.
 */
export function dispose(
  app: Runtime,
  rec: InvocationRecord,
  end: RunEnd,
  stopping: boolean,
  where: string,
): Disposition {
  if (end.kind === 'outcome') {
    return { kind: 'finish', out: end.out };
  }
  if (end.timedOut) {
    const seconds = attemptTimeoutSeconds(app, rec) ?? 0;
    return {
      kind: 'finish',
      out: failureOutcome(app, rec, new TaskTimeoutError(rec.id, seconds)),
      paused: end.paused,
    };
  }
  if (stopping) {
    return { kind: 'drop' };
  }
  if (end.signal !== null || end.paused || end.bystander) {
    return { kind: 'recover' };
  }
  return {
    kind: 'finish',
    out: failureOutcome(app, rec, new WorkerExitedError(rec.id, end.code, where)),
  };
}
