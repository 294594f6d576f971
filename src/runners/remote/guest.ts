/**
 * The guest side (a child process or a worker thread): imports the app module, answers `run` with
 * `runAttempt`, and replaces the app's backends with proxies that ask the host, so task code that
 * calls, waits on, or inspects other invocations works whatever backend the host uses.
 */
import { RUNTIME, type Runtime } from '../../runtime/runtime.js';
import type { InvocationRecord } from '../../core/records.js';
import type { Backends } from '../../backends/registry.js';
import type { FinalWatch, StateBackend } from '../../backends/state-backend.js';
import { currentInvocation, type WaitHooks } from '../../orchestration/context.js';
import { failureOutcome, runAttempt, type Outcome } from '../execute.js';
import { InvocationCancelledError } from '../../core/errors.js';
import { loadAppModule, type LoadedApp } from './load-app.js';
import { registerTsx } from '../../core/tsx.js';
import { preloadRegisteredBackends } from '../../backends/registry.js';
import type { InitMessage, ToGuest, ToHost } from './protocol.js';
import { CancelSwitch } from '../cancel-switch.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

export class Guest {
  app!: LoadedApp;
  private runtime!: Runtime;
  private runnerId = '';
  /** See InitMessage.guestTimeouts. */
  private enforceTimeout = false;
  nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<string, InvocationRecord>();
  /** Aborted when the host says the invocation was cancelled. */
  private readonly cancels = new Map<string, CancelSwitch>();
  private outbox: Array<{ id: string; out: Outcome }> = [];
  private flushScheduled = false;
  private initialized!: Promise<void>;

  constructor(private readonly send: (msg: ToHost) => void) {}

  init(msg: InitMessage): Promise<void> {
    return (this.initialized = this.doInit(msg));
  }

  private async doInit(msg: InitMessage): Promise<void> {
    if (msg.registerTsx) {
      await registerTsx(() =>
        Promise.all([
          // taskapp's entry as the task modules resolve it, by the package's own name: a warm-up of
          // the module cache, not a use of the layers above.
          import(import.meta.resolve('taskapp')),
          msg.mode === 'thread' && preloadRegisteredBackends(msg.resolved.config),
        ]),
      );
    }
    this.app = await loadAppModule(msg.appModule, msg.appId);
    this.runtime = this.app[RUNTIME];
    this.runnerId = msg.runnerId;
    this.enforceTimeout = msg.guestTimeouts === true;
    this.runtime.attachToParent(
      msg.resolved,
      msg.mode === 'guest' ? this.proxyBackends(msg.names) : undefined,
    );
  }

  handle(msg: ToGuest): void {
    if (msg.t === 'run') {
      for (const rec of msg.recs) {
        void this.run(rec);
      }
      return;
    }
    if (msg.t === 'cancel') {
      this.cancels.get(msg.id)?.cancel(new InvocationCancelledError(msg.id, msg.reason));
      return;
    }
    if (msg.t === 'rpc-res') {
      const p = this.pending.get(msg.id);
      if (!p) {
        return;
      }
      this.pending.delete(msg.id);
      if (msg.ok) {
        p.resolve(msg.value);
      } else {
        p.reject(this.runtime.errors.revive(msg.error, this.runtime.serializer));
      }
    }
  }

  rpc(role: string, method: string, args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ t: 'rpc', id, role, method, args });
    });
  }

  private async run(rec: InvocationRecord): Promise<void> {
    this.running.set(rec.id, rec);
    await this.initialized;
    const hooks: WaitHooks = {
      // Not awaited: the host handles messages in order, so RESUMED still follows PAUSED.
      pause: async () => {
        void this.rpc('hooks', 'pause', [rec.id]).catch(() => {});
      },
      resume: async () => {
        await this.rpc('hooks', 'resume', [rec.id]);
      },
    };
    // A timed-out attempt is reported only once its body has ended: its retry must not start while
    // it still runs here. A body that ignores its signal holds on until the host kills this guest.
    const cancel = new CancelSwitch();
    this.cancels.set(rec.id, cancel);
    let out: Outcome;
    try {
      out = await runAttempt(this.runtime, rec, this.runnerId, hooks, {
        enforceTimeout: this.enforceTimeout,
        afterTimeoutMs: Infinity,
        cancel,
      });
    } finally {
      this.cancels.delete(rec.id);
    }
    this.report(rec.id, out);
  }

  private report(id: string, out: Outcome): void {
    // Once reported (a crash may report first), a later completion of the same attempt is ignored.
    if (!this.running.delete(id)) {
      return;
    }
    this.outbox.push({ id, out });
    if (this.flushScheduled) {
      return;
    }
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const outs = this.outbox;
      this.outbox = [];
      this.send({ t: 'done', outs });
    });
  }

  /**
   * An error thrown outside the task's promise (in a timer, an event handler): it fails the
   * invocation whose async context threw it (or the only one running); the guest lives on.
   */
  crash(err: unknown): void {
    const ctxId = currentInvocation.getStore()?.invocationId;
    const id =
      ctxId && this.running.has(ctxId)
        ? ctxId
        : this.running.size === 1
          ? [...this.running.keys()][0]
          : undefined;
    if (!id || !this.app) {
      process.stderr.write(
        `taskapp: uncaught error outside any task: ${(err as Error)?.stack ?? String(err)}\n`,
      );
      return;
    }
    this.report(id, failureOutcome(this.runtime, this.running.get(id)!, err));
  }

  /**
   * Called from process.exit() (its 'exit' event runs in the caller's async context): names the
   * invocation that exits the guest (even one already reported, e.g. timed out), so the host fails
   * only that one and reruns the others it held.
   */
  exiting(): void {
    const id = currentInvocation.getStore()?.invocationId;
    if (id) {
      this.send({ t: 'exiting', id });
    }
  }

  private proxyBackends(names: Backends['names']): Backends {
    const role = <T extends object>(name: string): T =>
      new Proxy({} as T, {
        get: (_t, method) =>
          typeof method !== 'string' || method === 'then'
            ? undefined
            : (...args: unknown[]) => this.rpc(name, method, args),
      });
    const state = role<StateBackend>('state');
    // A watch is host-side state: open it there, then ask for its next batch of final records.
    const watchFinal = (ids: string[]): FinalWatch => {
      // The id is chosen here so that open, next and close need no round trip before they are sent
      // (messages arrive in order).
      const wid = this.nextId++;
      void this.rpc('watch', 'open', [wid, ids]).catch(() => {});
      return {
        next: async (timeoutMs) =>
          (await this.rpc('watch', 'next', [wid, timeoutMs])) as InvocationRecord[],
        close: () => {
          void this.rpc('watch', 'close', [wid]).catch(() => {});
        },
      };
    };
    const stateWithWatch = new Proxy(state, {
      get: (t, p) => (p === 'watchFinal' ? watchFinal : (t as never)[p]),
    });
    return {
      broker: role('broker'),
      state: stateWithWatch,
      orchestrator: role('orchestrator'),
      triggers: role('triggers'),
      data: role('data'),
      hot: role('hot'),
      workflows: role('workflows'),
      cancels: role('cancels'),
      names,
      close: async () => {},
    };
  }
}
