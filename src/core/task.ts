/** A registered task: a plain async function plus options, called by name across processes. */
import { InvalidArgumentsError, SerializationError } from './errors.js';
import { newInvocationId } from './ids.js';
import { Invocation, InvocationGroup } from './invocation.js';
import type { NewInvocation } from './records.js';
import type { EffectiveTaskOptions, TaskOptions } from './task-options.js';
import type { App } from './app.js';
import type { Logger } from './logger.js';
import { currentInvocation } from '../orchestration/context.js';

/** What a task receives as its second parameter. */
export interface TaskContext {
  invocationId: string;
  taskId: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  runnerId: string;
  logger: Logger;
  /** Aborted on timeout or cancellation. */
  signal: AbortSignal;
}

export type TaskArgs = Record<string, unknown>;
export type TaskFn<A extends TaskArgs, R> = (args: A, ctx: TaskContext) => R | Promise<R>;

export class Task<A extends TaskArgs = TaskArgs, R = unknown> {
  private effective?: EffectiveTaskOptions;

  constructor(
    readonly app: App,
    readonly id: string,
    readonly fn: TaskFn<A, R>,
    readonly codeOptions: TaskOptions = {},
  ) {}

  /** Options after config and env (see task-options.ts), resolved on first use. */
  get options(): EffectiveTaskOptions {
    return (this.effective ??= this.app.resolveTaskOptions(this));
  }

  /** Registers one invocation; resolves once it is stored and queued (or, in dev mode, finished). */
  async call(args: A): Promise<Invocation<R>> {
    const [inv] = await this.enqueue([args]);
    return inv!;
  }

  /** call() then result(). */
  async run(args: A, opts: { timeoutMs?: number } = {}): Promise<R> {
    return (await this.call(args)).result(opts);
  }

  /** Registers one invocation per argument object, `parallel_batch_size` per round trip. */
  async parallelize(argsList: A[], opts: { common?: Partial<A> } = {}): Promise<InvocationGroup<R>> {
    const list = opts.common ? argsList.map((a) => ({ ...opts.common, ...a }) as A) : argsList;
    const size = this.options.parallel_batch_size;
    const out: Invocation<R>[] = [];
    for (let i = 0; i < list.length; i += size) out.push(...(await this.enqueue(list.slice(i, i + size))));
    return new InvocationGroup(this.app, out);
  }

  private async enqueue(argsList: A[]): Promise<Invocation<R>[]> {
    const parent = currentInvocation.getStore();
    const priority = this.options.priority;
    const news: NewInvocation[] = argsList.map((args) => ({
      id: newInvocationId(),
      taskId: this.id,
      args: this.serializeArgs(args),
      priority,
      parentId: parent?.invocationId ?? null,
      workflowId: parent?.workflowId ?? null,
    }));
    if (this.app.devMode) {
      return Promise.all(news.map(async (n) => { await this.app.runInline(n); return new Invocation<R>(this.app, n.id); }));
    }
    await (await this.app.backends()).hot.enqueue(news, Date.now());
    this.app.events.emit({ type: 'submitted', taskId: this.id, count: news.length });
    return news.map((n) => new Invocation<R>(this.app, n.id));
  }

  private serializeArgs(args: A): string {
    const got = args === null ? 'null' : Array.isArray(args) ? 'an array' : typeof args;
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new InvalidArgumentsError(this.id, got);
    const proto = Object.getPrototypeOf(args);
    if (proto !== Object.prototype && proto !== null) throw new InvalidArgumentsError(this.id, `an instance of ${proto?.constructor?.name ?? 'a class'}`);
    try {
      return this.app.serializer.serialize(args, 'argument');
    } catch (err) {
      if (err instanceof SerializationError) {
        throw new SerializationError(`cannot call task "${this.id}": ${err.message.replace(/\n {2}fix:.*$/s, '').replace(/^argument\./, 'argument ')}`, err.fix);
      }
      throw err;
    }
  }
}
