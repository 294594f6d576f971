/**
 * app.outbox(client): calls written to the outbox table in the app's own PostgreSQL transaction,
 * for backends that cannot share it (runtime/outbox.ts relays them; README, "Transactional
 * enqueue"). The handle a call returns waits for the invocation the relay stores under its id.
 */
import { InvalidArgumentsError, TaskappError } from '../core/errors.js';
import { newInvocationId } from '../core/ids.js';
import type { TxHandle } from '../backends/tx-enqueue.js';
import { outboxStoreOf, type OutboxCallOptions } from '../runtime/outbox.js';
import { RUNTIME, type RuntimeHolder } from '../runtime/runtime.js';
import type { TaskArgs } from '../runtime/task-context.js';
import { checkCallOptions, type CallOptions } from './call-options.js';
import { Invocation, InvocationGroup } from './invocation.js';
import type { Task } from './task.js';

export class Outbox {
  constructor(
    private readonly app: RuntimeHolder,
    private readonly tx: TxHandle,
  ) {}

  /**
   * Writes a call of `task` to the outbox through the transaction: it exists once that commits, and
   * a runner's relay stores it (under `opts.id`, or an id chosen here) exactly once. Options as
   * task.call's, without `tx`.
   */
  async call<A extends TaskArgs, R>(
    task: Task<A, R> | string,
    args: A,
    opts: Omit<CallOptions, 'tx'> = {},
  ): Promise<Invocation<R>> {
    const [inv] = await this.write<R>(task, [args], opts);
    return inv!;
  }

  /** One outbox row per argument object, in one statement (all or none, with the transaction). */
  async parallelize<A extends TaskArgs, R>(
    task: Task<A, R> | string,
    argsList: A[],
    opts: Omit<CallOptions, 'tx' | 'id'> = {},
  ): Promise<InvocationGroup<R>> {
    if ((opts as CallOptions).id !== undefined) {
      throw new TaskappError(
        'BAD_PARAMETER',
        'app.outbox(client).parallelize(): { id } names one invocation, not a list',
        { fix: 'call app.outbox(client).call(task, args, { id }) for each', exitCode: 2 },
      );
    }
    return new InvocationGroup<R>(this.app, await this.write<R>(task, argsList, opts));
  }

  private async write<R>(
    task: Task<any, any> | string,
    argsList: TaskArgs[],
    opts: CallOptions,
  ): Promise<Array<Invocation<R>>> {
    const rt = this.app[RUNTIME];
    const taskId = typeof task === 'string' ? task : task.id;
    if (opts.tx !== undefined) {
      throw new TaskappError(
        'BAD_PARAMETER',
        `app.outbox(client) with task "${taskId}": { tx } is not an option here: the outbox writes through the client it was given`,
        { fix: 'drop tx from the options', exitCode: 2 },
      );
    }
    const checked = checkCallOptions(taskId, opts, Date.now());
    const options: OutboxCallOptions = {
      ...(checked.priority !== undefined ? { priority: checked.priority } : {}),
      ...(checked.notBefore !== undefined ? { notBefore: checked.notBefore } : {}),
      ...(checked.limits?.timeoutMs !== undefined ? { timeoutMs: checked.limits.timeoutMs } : {}),
      ...(checked.limits?.expiresAt !== undefined ? { expiresAt: checked.limits.expiresAt } : {}),
    };
    const optionsText = Object.keys(options).length ? JSON.stringify(options) : null;
    const now = Date.now();
    const entries = argsList.map((args) => {
      if (typeof args !== 'object' || args === null || Array.isArray(args)) {
        throw new InvalidArgumentsError(taskId, Array.isArray(args) ? 'an array' : typeof args);
      }
      return {
        id: checked.id ?? newInvocationId(),
        kind: 'call' as const,
        name: taskId,
        body: rt.serializer.serialize(args, 'argument'),
        options: optionsText,
        createdAt: now,
      };
    });
    if (entries.length) {
      await (await outboxStoreOf(rt)).write(this.tx, entries);
    }
    return entries.map((e) => new Invocation<R>(this.app, e.id));
  }
}
