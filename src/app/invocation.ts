/**
 * A handle on one invocation, by id: its status, history and result, from any process that shares
 * the backend.
 */
import {
  InvocationCycleError,
  InvocationNotFoundError,
  NoResultError,
  TimeoutError,
} from '../core/errors.js';
import { MAX_DELAY_MS } from '../core/limits.js';
import { badOption } from './call-options.js';
import { QUEUED_STATUSES } from '../core/status.js';
import type {
  ConcurrencyControl,
  HistoryEntry,
  InvocationRecord,
  Progress,
} from '../core/records.js';
import type { Status } from '../core/status.js';
import { RUNTIME, type Runtime, type RuntimeHolder } from '../runtime/runtime.js';
import { currentInvocation } from '../orchestration/context.js';
import type { FinalWatch } from '../backends/state-backend.js';
import { rerunInvocation } from '../runtime/rerun.js';
import { cancelInvocations, type CancelOptions, type CancelResult } from '../runtime/cancel.js';

/** What `result()` waits by default: long, but not forever. */
export const DEFAULT_RESULT_TIMEOUT_MS = 24 * 3600 * 1000;

/** A result wait's `timeoutMs`, checked (0 to a year; a bad one would wait forever or not at all). */
function waitTimeout(timeoutMs: number | undefined): number {
  const t = timeoutMs ?? DEFAULT_RESULT_TIMEOUT_MS;
  if (typeof t !== 'number' || Number.isNaN(t) || t < 0 || t > MAX_DELAY_MS) {
    throw badOption(
      'result',
      'timeoutMs',
      t,
      `milliseconds from 0 to ${MAX_DELAY_MS} (one year)`,
      'wait with { timeoutMs: 60_000 }, or leave it out for the default of 24 hours',
    );
  }
  return t;
}

export class Invocation<R = unknown> {
  constructor(
    /** The app whose backends hold the invocation. */
    readonly app: RuntimeHolder,
    readonly id: string,
    /** True when a registration-concurrency match returned an existing invocation. */
    readonly reused = false,
    /** Its running-concurrency control when known from the call (null: none; undefined: unknown). */
    private readonly control?: ConcurrencyControl | null,
  ) {}

  async record(): Promise<InvocationRecord> {
    const { state } = await this.app[RUNTIME].backends();
    const rec = await state.get(this.id);
    if (!rec) {
      throw new InvocationNotFoundError(this.id);
    }
    return rec;
  }

  async status(): Promise<Status> {
    return (await this.record()).status;
  }

  /**
   * Cancels it: waiting (queued), it goes CANCELLED and never runs; running, its `ctx.signal`
   * aborts and its runner writes CANCELLED once the work stopped (killing its child process or
   * worker thread after a grace period). `children: true` cancels what it waits on too, so a
   * workflow is cancelled as a whole from its root. `result()` then rejects with
   * InvocationCancelledError. Already final: nothing changes (`outcome: 'finished'`).
   */
  async cancel(opts: CancelOptions = {}): Promise<CancelResult> {
    const out = await cancelInvocations(this.app[RUNTIME], [this.id], opts);
    return out[0]!;
  }

  async history(): Promise<HistoryEntry[]> {
    return (await this.app[RUNTIME].backends()).state.history(this.id);
  }

  /**
   * A new invocation of the same task with the same arguments, linked to this one (its
   * `rerunOf()`). Only a finished invocation can be rerun (BAD_ACTION otherwise).
   */
  async rerun(): Promise<Invocation<R>> {
    const { id } = await rerunInvocation(this.app[RUNTIME], this.id);
    return new Invocation<R>(this.app, id);
  }

  /** The id of the invocation this one reruns, or null. */
  async rerunOf(): Promise<string | null> {
    const x = await (await this.app[RUNTIME].backends()).state.extras([this.id]);
    return x[this.id]?.rerunOf ?? null;
  }

  /** What the task last reported with `ctx.progress(value, message)`, or null. */
  async progress(): Promise<Progress | null> {
    const x = await (await this.app[RUNTIME].backends()).state.extras([this.id]);
    return x[this.id]?.progress ?? null;
  }

  /**
   * The task's return value once the invocation is final. A FAILED invocation rejects with the
   * task's error. Inside a task, the caller leaves its slot while it waits (PAUSED, then RESUMED).
   */
  async result(opts: { timeoutMs?: number } = {}): Promise<R> {
    const timeoutMs = waitTimeout(opts.timeoutMs);
    const { state } = await this.app[RUNTIME].backends();
    const caller = currentInvocation.getStore();
    if (caller && (this.control !== null || caller.invocationId === this.id)) {
      await checkNoCycle(this.app[RUNTIME], caller.invocationId, this.id);
    }
    const watch = state.watchFinal([this.id]);
    let rec: InvocationRecord | undefined;
    try {
      [rec] = await watch.next(0);
      if (!rec) {
        const hooks = caller?.hooks;
        await hooks?.pause();
        try {
          [rec] = await waitWithPreference(
            this.app[RUNTIME],
            watch,
            [this.id],
            timeoutMs,
            !!hooks,
            caller?.signal?.(),
          );
        } finally {
          await hooks?.resume();
        }
      }
    } finally {
      watch.close();
    }
    if (!rec) {
      const now = await state.get(this.id);
      if (!now) {
        throw new InvocationNotFoundError(this.id);
      }
      throw new TimeoutError(this.id, now.status, timeoutMs);
    }
    return this.app[RUNTIME].outcomeOf(rec) as R;
  }
}

/** Many invocations of one call (parallelize): results in completion order or in call order. */
export class InvocationGroup<R = unknown> {
  constructor(
    /** The app whose backends hold the invocations. */
    readonly app: RuntimeHolder,
    readonly invocations: Invocation<R>[],
  ) {}

  get ids(): string[] {
    return this.invocations.map((i) => i.id);
  }

  /** Yields each result as its invocation finishes (completion order); a failure throws. */
  async *results(opts: { timeoutMs?: number } = {}): AsyncGenerator<R> {
    for await (const { record } of this.settled(opts)) {
      yield this.app[RUNTIME].outcomeOf(record) as R;
    }
  }

  /** Each final record as it finishes, without throwing for failures. */
  async *settled(
    opts: { timeoutMs?: number } = {},
  ): AsyncGenerator<{ invocation: Invocation<R>; record: InvocationRecord }> {
    const { state } = await this.app[RUNTIME].backends();
    // Those not yet yielded, by id: one map, not a map plus a set of the same 20k ids.
    const remaining = new Map<string, Invocation<R>>();
    for (const inv of this.invocations) {
      remaining.set(inv.id, inv);
    }
    const timeoutMs = waitTimeout(opts.timeoutMs);
    const deadline = Date.now() + timeoutMs;
    const caller = currentInvocation.getStore();
    const hooks = caller?.hooks;
    const watch = state.watchFinal([...remaining.keys()]);
    let paused = false;
    try {
      while (remaining.size) {
        let done = await watch.next(0);
        if (!done.length) {
          if (hooks && !paused) {
            await hooks.pause();
            paused = true;
          }
          done = await waitWithPreference(
            this.app[RUNTIME],
            watch,
            remaining.keys(),
            Math.max(0, deadline - Date.now()),
            !!hooks,
            caller?.signal?.(),
          );
        }
        if (!done.length) {
          const first = remaining.keys().next().value!;
          throw new TimeoutError(first, (await state.get(first))?.status ?? 'unknown', timeoutMs);
        }
        if (paused) {
          await hooks!.resume();
          paused = false;
        }
        for (const rec of done) {
          const invocation = remaining.get(rec.id);
          if (!invocation) {
            continue;
          }
          remaining.delete(rec.id);
          yield { invocation, record: rec };
        }
      }
    } finally {
      watch.close();
      if (paused) {
        await hooks!.resume();
      }
    }
  }

  /** All results in call order; rejects with the first failure. */
  async all(opts: { timeoutMs?: number } = {}): Promise<R[]> {
    const out = new Map<string, R>();
    for await (const { record } of this.settled(opts)) {
      out.set(record.id, this.app[RUNTIME].outcomeOf(record) as R);
    }
    return this.ids.map((id) => out.get(id)!);
  }
}

/** How long a waiting task waits before it pushes what it waits for to the front of the queue. */
const PREFER_AFTER_MS = 50;

/**
 * Waits on `watch`; a task that is still waiting after PREFER_AFTER_MS gets its awaited work
 * preferred. `ids` is read only then (a group's remaining ids are not copied on every wake-up).
 * `signal`: the waiting task's own (aborted at its timeout): the wait then rejects with its reason,
 * so a timed-out task ends instead of waiting on until its runner has to stop it.
 */
async function waitWithPreference(
  app: Runtime,
  watch: FinalWatch,
  ids: Iterable<string>,
  timeoutMs: number,
  insideTask: boolean,
  signal?: AbortSignal,
): Promise<InvocationRecord[]> {
  if (!insideTask || timeoutMs <= PREFER_AFTER_MS) {
    return orAbort(watch.next(timeoutMs), signal);
  }
  const first = await orAbort(watch.next(PREFER_AFTER_MS), signal);
  if (first.length) {
    return first;
  }
  await preferWaitedOn(app, [...ids]);
  return orAbort(watch.next(timeoutMs - PREFER_AFTER_MS), signal);
}

/** `p`, or a rejection with the signal's reason once it aborts. */
function orAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) {
    return p;
  }
  if (signal.aborted) {
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The waiting graph at work: an invocation someone is blocked on jumps the queue (routed again at
 * the highest priority; the stale queue entry is dropped when claimed, as a duplicate delivery).
 */
async function preferWaitedOn(app: Runtime, ids: string[]): Promise<void> {
  const { state, broker } = await app.backends();
  const queued = (await state.getMany(ids)).filter(
    (r) => QUEUED_STATUSES.has(r.status) && r.priority < 9,
  );
  if (queued.length) {
    await broker.route(queued.map((r) => ({ id: r.id, priority: 9 })));
  }
}

/**
 * Awaiting an invocation that can only run once the caller (or one of the caller's callers) has
 * finished would never end: it is the caller itself, or it shares a running-concurrency scope whose
 * slots the waiting chain holds (a task awaiting itself through others with the same arguments).
 */
async function checkNoCycle(app: Runtime, callerId: string, awaitedId: string): Promise<void> {
  const { state } = await app.backends();
  const awaited = await state.get(awaitedId);
  const cc = awaited?.concurrency;
  if (callerId !== awaitedId && (!cc || cc.maxRunning === 0)) {
    return;
  }
  const chain: string[] = [];
  let holding = 0;
  for (let id: string | null = callerId; id && chain.length < 1000;) {
    chain.push(id);
    if (id === awaitedId) {
      throw new InvocationCycleError(awaitedId, [...chain.reverse(), awaitedId]);
    }
    const rec = await state.get(id);
    if (cc && rec?.concurrency?.key === cc.key && ++holding >= cc.maxRunning) {
      throw new InvocationCycleError(awaitedId, [...chain.reverse(), awaitedId]);
    }
    id = rec?.parentId ?? null;
  }
}

export function noResult(rec: InvocationRecord): never {
  throw new NoResultError(rec.id, rec.status);
}
