/** A registered task: a plain async function plus options, called by name across processes. */
import {
  ConcurrencyArgumentsMismatchError,
  ConfigError,
  InvalidArgumentsError,
  SerializationError,
} from '../core/errors.js';
import {
  canonicalKey,
  placementScope,
  runningControl,
  scopeKey,
} from '../orchestration/concurrency.js';
import { declaredArgumentNames } from '../core/task-signature.js';
import { CallDeadline } from '../core/call-deadline.js';
import { inOrderWindow } from '../core/ordered-window.js';
import { hash16, newInvocationId, placementOf } from '../core/ids.js';
import { Invocation, InvocationGroup } from './invocation.js';
import type { ConcurrencyControl, NewInvocation } from '../core/records.js';
import {
  resolveTaskOptions,
  type EffectiveTaskOptions,
  type TaskOptions,
} from '../runtime/task-options.js';
import { currentInvocation } from '../orchestration/context.js';
import { recordChildWorkflows } from '../workflows/identity.js';
import { addBlobRefs, argStore, type StoredArgs } from '../runtime/arg-store.js';
import { RUNTIME, type Runtime, type RuntimeHolder } from '../runtime/runtime.js';
import type { TaskArgs, TaskFn } from '../runtime/task-context.js';
import { runInline } from '../runners/inline.js';
import type { Backends } from '../backends/backends.js';
import {
  checkCallOptions,
  checkTx,
  type CallOptions,
  type CheckedCallOptions,
} from './call-options.js';
import type { TxHandle } from '../backends/tx-enqueue.js';
import { txEnqueueOf } from '../runtime/tx-enqueue.js';
import { startProducer, type ProducerSpan } from '../runtime/tracing.js';

export type { TaskArgs, TaskContext, TaskFn } from '../runtime/task-context.js';

/** parallelize(): chunks of parallel_batch_size enqueued at once (each its own round trip). */
const CHUNKS_IN_FLIGHT = 4;

export class Task<A extends TaskArgs = TaskArgs, R = unknown> {
  private effective?: EffectiveTaskOptions;

  constructor(
    /** The app that registered this task. */
    readonly app: RuntimeHolder,
    readonly id: string,
    readonly fn: TaskFn<A, R>,
    readonly codeOptions: TaskOptions = {},
  ) {
    this.checkKeyArguments(
      codeOptions.keyArguments ?? [],
      codeOptions.registrationConcurrency,
      codeOptions.runningConcurrency,
    );
  }

  private get runtime(): Runtime {
    return this.app[RUNTIME];
  }

  /** Options after config and env (see task-options.ts), resolved on first use. */
  get options(): EffectiveTaskOptions {
    if (!this.effective) {
      const o = resolveTaskOptions(this.id, this.codeOptions, this.runtime.resolvedConfig);
      this.checkKeyArguments(o.key_arguments, o.registration_concurrency, o.running_concurrency);
      if (o.rate_limit) {
        runningControl(o, this.id, this.runtime.serializer, {});
      }
      this.effective = o;
    }
    return this.effective;
  }

  private checkKeyArguments(keys: string[], ...modes: Array<string | undefined>): void {
    if (modes.includes('KEYS') && keys.length === 0) {
      throw new ConfigError(
        `task "${this.id}": concurrency mode KEYS needs key_arguments`,
        'name the arguments that form the key: keyArguments: ["userId"]',
      );
    }
    const declared = declaredArgumentNames(this.fn);
    const unknown = declared ? keys.filter((k) => !declared.includes(k)) : [];
    if (unknown.length) {
      throw new ConfigError(
        `task "${this.id}": key_arguments names ${unknown.map((k) => `"${k}"`).join(', ')}, which the task does not take (it takes: ${declared!.join(', ') || 'nothing'})`,
        `use argument names of the task: ${declared!.join(', ')}`,
      );
    }
  }

  /**
   * Registers one invocation; resolves once it is stored and queued (or, in dev mode, finished).
   * `opts`: this call's priority (over the task's), and a delay (`delayMs`) or a start time
   * (`runAt`) before which no runner starts it (dev mode runs it at once).
   */
  async call(args: A, opts?: CallOptions): Promise<Invocation<R>> {
    const checked = checkCallOptions(this.id, opts, Date.now());
    if (checked.id !== undefined && !this.runtime.devMode) {
      return this.callKeyed(args, checked.id, checked);
    }
    const [inv] = await this.enqueue([args], {
      call: checked,
      ...(checked.id !== undefined ? { ids: [checked.id] } : {}),
    });
    return inv!;
  }

  /**
   * A call with an idempotency key: the stored invocation with that id if there is one, else a new
   * one under it. Two racing calls are decided by the backend's primary key (one insert wins; the
   * other fails or stores nothing, then finds the winner's).
   */
  private async callKeyed(
    args: A,
    id: string,
    checked: CheckedCallOptions,
  ): Promise<Invocation<R>> {
    const { state } = await this.runtime.backends();
    if (await state.get(id)) {
      return new Invocation<R>(this.app, id, true);
    }
    try {
      const [inv] = await this.enqueue([args], { ids: [id], call: checked });
      return inv!;
    } catch (err) {
      if (await state.get(id).catch(() => null)) {
        return new Invocation<R>(this.app, id, true);
      }
      throw err;
    }
  }

  /** @internal Registers one invocation under a given id (triggers derive it from their run id). */
  async callWithId(id: string, args: A): Promise<Invocation<R>> {
    // Runner-side (triggers, workflow steps): rides out an outage like the runner itself.
    const [inv] = await this.enqueueNow([args], { ids: [id] });
    return inv!;
  }

  /** call() then result(). */
  async run(args: A, opts: { timeoutMs?: number } = {}): Promise<R> {
    return (await this.call(args)).result(opts);
  }

  /**
   * Registers one invocation per argument object, `parallel_batch_size` per round trip. `common`
   * arguments go to every invocation and are serialized once.
   */
  parallelize(argsList: A[], opts?: { tx?: TxHandle }): Promise<InvocationGroup<R>>;
  parallelize(
    argsList: Array<Partial<A>>,
    opts: { common: Partial<A>; tx?: TxHandle },
  ): Promise<InvocationGroup<R>>;
  async parallelize(
    argsList: Array<Partial<A>>,
    opts: { common?: Partial<A>; tx?: TxHandle } = {},
  ): Promise<InvocationGroup<R>> {
    // { tx }: every chunk goes through the caller's transaction (all or none, with it).
    const call = opts.tx === undefined ? undefined : { tx: checkTx(this.id, opts.tx) };
    const list = (opts.common ? argsList.map((a) => ({ ...opts.common, ...a })) : argsList) as A[];
    let serialized: StoredArgs[] | undefined;
    const commonPart = opts.common && (await this.storedMembers(opts.common));
    if (commonPart) {
      // Item members follow the common ones: JSON.parse keeps the last of a repeated key, the item's.
      serialized = await Promise.all(
        argsList.map(async (a) => {
          const own = await this.storedMembers(a);
          if (own === null) {
            return { text: this.serializeArgs({ ...opts.common, ...a } as A), keys: [] };
          }
          return {
            text: `{${[commonPart.text, own.text].filter(Boolean).join(',')}}`,
            keys: [...commonPart.keys, ...own.keys],
          };
        }),
      );
    }
    const size = this.options.parallel_batch_size;
    const chunks = Math.ceil(list.length / size);
    // Several chunks in flight: a chunk's round trip is mostly the server's work, which then runs
    // on several connections at once. In the caller's transaction they go one after the other.
    const inFlight =
      call || chunks < 2
        ? 1
        : ((await this.runtime.backends()).hot.enqueuesInFlight ?? CHUNKS_IN_FLIGHT);
    const parts = await inOrderWindow(chunks, inFlight, (k) =>
      this.enqueue(list.slice(k * size, (k + 1) * size), {
        serialized: serialized?.slice(k * size, (k + 1) * size),
        call,
      }),
    );
    return new InvocationGroup(this.app, parts.flat());
  }

  /** A producer's enqueue: bounded by call_timeout_seconds (see enqueueNow). */
  private async enqueue(
    argsList: A[],
    given: { serialized?: StoredArgs[]; ids?: string[]; call?: CheckedCallOptions } = {},
  ): Promise<Invocation<R>[]> {
    if (this.runtime.devMode) {
      return this.enqueueNow(argsList, given);
    }
    const deadline = new CallDeadline(this.id, this.runtime.config.call_timeout_seconds, () =>
      this.runtime.describeServers(),
    );
    return deadline.within(this.enqueueNow(argsList, given));
  }

  /** `serialized`: arguments already serialized (parallelize's common part); `ids`: given ids (triggers). */
  private async enqueueNow(
    argsList: A[],
    given: { serialized?: StoredArgs[]; ids?: string[]; call?: CheckedCallOptions },
  ): Promise<Invocation<R>[]> {
    const { serialized, ids: givenIds, call } = given;
    const parent = currentInvocation.getStore();
    const o = this.options;
    const stored = await this.storedArgs(argsList, serialized);
    // Outside any workflow a call starts one (its id: the invocation's, kept as null); inside one it
    // joins, unless force_new_workflow starts a child workflow linked to its parent.
    const forceNew = Boolean(parent && o.force_new_workflow);
    const news: NewInvocation[] = argsList.map((args, k) => {
      const registrationKey = scopeKey(
        o.registration_concurrency,
        this.id,
        this.runtime.serializer,
        args,
        o.key_arguments,
      );
      const concurrency = runningControl(o, this.id, this.runtime.serializer, args);
      const id = givenIds?.[k] ?? newInvocationId(placement(this.id, registrationKey, concurrency));
      const n: NewInvocation = {
        id,
        taskId: this.id,
        args: stored[k]!.text,
        priority: call?.priority ?? o.priority,
        parentId: parent?.invocationId ?? null,
        workflowId: forceNew ? id : (parent?.workflowId ?? null),
        registrationKey,
        concurrency,
      };
      if (call?.limits) {
        n.callOptions = call.limits;
      }
      return n;
    });
    if (forceNew) {
      await recordChildWorkflows(
        this.runtime,
        this.id,
        parent!,
        news.map((n) => n.id),
      );
    }
    const producer = startProducer(this.runtime, this.id, news.length, parent);
    try {
      const invs = await this.routeNow(news, stored, argsList, producer, call);
      producer?.end();
      return invs;
    } catch (err) {
      producer?.end(err);
      throw err;
    }
  }

  /** Stores and routes the new invocations (and their trace context when traced). */
  private async routeNow(
    news: NewInvocation[],
    stored: StoredArgs[],
    argsList: A[],
    producer: ProducerSpan | undefined,
    call: CheckedCallOptions | undefined,
  ): Promise<Invocation<R>[]> {
    const o = this.options;
    await producer?.store(news.map((n) => n.id));
    const refs = async (ids: string[]) => {
      const keysById = new Map<string, string[]>();
      for (let k = 0; k < news.length; k++) {
        const keys = producer
          ? [...stored[k]!.keys, ...producer.keys(news[k]!.id)]
          : stored[k]!.keys;
        if (ids[k] === news[k]!.id && keys.length) {
          keysById.set(news[k]!.id, keys);
        }
      }
      if (keysById.size) {
        await addBlobRefs(this.runtime, keysById);
      }
    };
    if (call?.tx !== undefined && this.runtime.devMode) {
      txEnqueueOf(this.runtime, undefined, `task "${this.id}"`); // throws: no transaction inline
    }
    if (this.runtime.devMode) {
      await refs(news.map((n) => n.id));
      return Promise.all(
        news.map(async (n) => {
          await runInline(this.runtime, n);
          return new Invocation<R>(this.app, n.id);
        }),
      );
    }
    const backends = await this.runtime.backends();
    let ids: string[];
    let reused: boolean[];
    if (call?.tx !== undefined) {
      const tx = txEnqueueOf(this.runtime, backends, `task "${this.id}"`);
      const got = await tx.enqueue(call.tx, news, Date.now(), call.notBefore);
      ids = got.map((g) => g.id);
      reused = got.map((g) => g.reused);
    } else {
      ids =
        call?.notBefore === undefined
          ? await backends.hot.enqueue(news, Date.now())
          : await enqueueDelayed(backends, news, call.notBefore);
      reused = ids.map((id, k) => id !== news[k]!.id);
    }
    // With { tx }, blob references are written on taskapp's own connection: a rollback leaves the
    // referenced blobs until purge finds no invocation for them.
    await refs(ids.map((id, k) => (reused[k] ? '' : id)));
    if (producer && ids.some((id, k) => id !== news[k]!.id)) {
      // Reused invocations keep their own trace: the context stored for the new ids is unused.
      const unused = news.filter((n, k) => ids[k] !== n.id).flatMap((n) => producer.keys(n.id));
      await backends.data.delete(unused).catch(() => {});
    }
    this.runtime.events.emit({
      type: 'submitted',
      taskId: this.id,
      count: reused.filter((r) => !r).length,
    });
    if (o.on_diff_non_key_args_raise && o.registration_concurrency === 'KEYS') {
      await this.checkReusedArguments(news, ids, argsList);
    }
    return ids.map((id, k) =>
      reused[k]
        ? new Invocation<R>(this.app, id, true)
        : new Invocation<R>(this.app, id, false, news[k]!.concurrency ?? null),
    );
  }

  /**
   * Each argument object serialized; large arguments go to the data store and the invocation
   * carries a reference. Small ones (nearly all) are done without a promise each.
   */
  private async storedArgs(
    argsList: A[],
    serialized: StoredArgs[] | undefined,
  ): Promise<StoredArgs[]> {
    const store = argStore(this.runtime);
    const stored: StoredArgs[] = new Array(argsList.length);
    const toStore: Array<Promise<void>> = [];
    for (let k = 0; k < argsList.length; k++) {
      const given = serialized?.[k];
      if (given) {
        stored[k] = given;
        continue;
      }
      const args = argsList[k]!;
      const text = this.serializeArgs(args);
      const inline = store.inlineArgs(text);
      if (inline) {
        stored[k] = inline;
      } else {
        toStore.push(
          store.args(this.id, this.options, args, text).then((s) => {
            stored[k] = s;
          }),
        );
      }
    }
    if (toStore.length) {
      await Promise.all(toStore);
    }
    return stored;
  }

  /** A KEYS match must also match on the other arguments when on_diff_non_key_args_raise is set. */
  private async checkReusedArguments(
    news: NewInvocation[],
    ids: string[],
    argsList: A[],
  ): Promise<void> {
    const { state } = await this.runtime.backends();
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] === news[k]!.id) {
        continue;
      }
      const existing = await state.get(ids[k]!);
      if (!existing) {
        continue;
      }
      const theirs = await argStore(this.runtime).resolve(existing.args);
      if (
        canonicalKey(this.runtime.serializer, theirs) !==
        canonicalKey(this.runtime.serializer, argsList[k]!)
      ) {
        throw new ConcurrencyArgumentsMismatchError(
          this.id,
          existing.id,
          existing.args,
          news[k]!.args,
        );
      }
    }
  }

  private serializeArgs(args: A): string {
    this.checkArgsShape(args);
    return this.withArgumentErrors(() => this.runtime.serializer.serialize(args, 'argument'));
  }

  /** Members of `args` as a fragment, large ones moved to the data store (null: not cuttable). */
  private async storedMembers(args: Partial<A>): Promise<StoredArgs | null> {
    const text = this.serializeMembers(args);
    if (text === null) {
      return null;
    }
    if (text.length * 3 < this.runtime.config.data_store.min_size_to_cache) {
      return { text, keys: [] };
    }
    return argStore(this.runtime).members(this.id, this.options, args as Record<string, unknown>);
  }

  private serializeMembers(args: Partial<A>): string | null {
    this.checkArgsShape(args);
    return this.withArgumentErrors(() =>
      this.runtime.serializer.serializeMembers(args, 'argument'),
    );
  }

  private checkArgsShape(args: unknown): void {
    const got = args === null ? 'null' : Array.isArray(args) ? 'an array' : typeof args;
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      throw new InvalidArgumentsError(this.id, got);
    }
    const proto = Object.getPrototypeOf(args);
    if (proto !== Object.prototype && proto !== null) {
      throw new InvalidArgumentsError(
        this.id,
        `an instance of ${proto?.constructor?.name ?? 'a class'}`,
      );
    }
  }

  private withArgumentErrors<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SerializationError) {
        throw new SerializationError(
          `cannot call task "${this.id}": ${err.message.replace(/(^| )argument\./g, '$1argument ')}`,
          err.fix,
        );
      }
      throw err;
    }
  }
}

/**
 * A delayed call: stored REGISTERED, then queued with the broker's not-before time (the entry a
 * retry's backoff uses), so runners wait for it with the one timer each already keeps for the
 * earliest delayed entry. Two steps: a producer that dies between them leaves it REGISTERED with no
 * queue entry, which recovery requeues after runner.stranded_after_seconds (then it runs early,
 * never lost).
 */
async function enqueueDelayed(
  b: Backends,
  news: NewInvocation[],
  notBefore: number,
): Promise<string[]> {
  const ids = await b.state.insert(news, Date.now());
  const fresh = news.filter((n, k) => ids[k] === n.id);
  if (fresh.length) {
    await b.broker.route(fresh.map((n) => ({ id: n.id, priority: n.priority, notBefore })));
  }
  return ids;
}

/**
 * Where a new invocation is kept by a sharded backend (core/ids.ts): with its concurrency scope,
 * else next to the invocation calling it, else anywhere.
 */
function placement(
  taskId: string,
  registrationKey: string | null,
  concurrency: ConcurrencyControl | null,
): number | undefined {
  const scope = placementScope(taskId, registrationKey, concurrency);
  if (scope !== null) {
    return hash16(scope);
  }
  const parent = currentInvocation.getStore();
  return parent ? placementOf(parent.invocationId) : undefined;
}
