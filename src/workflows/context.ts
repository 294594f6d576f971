/**
 * `ctx.wf`: what a task needs to run as a replayable workflow step. Every deterministic operation
 * takes the next sequence number of the invocation; its value is recorded in the workflow store
 * under `s:<invocationId>:<seq>` on the first run, and a re-run of the same invocation (retry,
 * recovery after a crash) reads it back instead of producing a new one.
 *
 * random()/uuid()/now() are synchronous, so their recording is written in the background and
 * awaited before the next durable step and before the attempt's result is stored (`flush`): a
 * value is never used by a child or a result without being recorded first.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Runtime } from '../runtime/runtime.js';
import { newInvocationId, placementOf } from '../core/ids.js';
import type { InvocationRecord } from '../core/records.js';
import type { StepTask, TaskArgs, WorkflowApi } from '../runtime/task-context.js';
import type { StateBackend } from '../backends/state-backend.js';
import type { WorkflowStore } from '../backends/workflow-store.js';
import { currentInvocation, type WaitHooks } from '../orchestration/context.js';
import { partialMatch } from '../triggers/match.js';
import { DeterminismError } from '../core/errors.js';
import { original } from './guard.js';
import { META_KEY, workflowIdOf, type WorkflowMeta } from './identity.js';

export type { WorkflowApi } from '../runtime/task-context.js';

/** Stored value kinds, checked on replay: a step that changed kind means the code changed. */
type Kind = 'r' | 'u' | 'n' | 'c' | 'w' | 'e';
const KIND_NAMES: Record<Kind, string> = {
  r: 'random()',
  u: 'uuid()',
  n: 'now()',
  c: 'executeTask()',
  w: 'sleep()',
  e: 'waitForEvent()',
};

const NOTHING_RECORDED: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class WorkflowContext implements WorkflowApi {
  readonly id: string;
  private seq = 0;
  private readonly pending: Array<Promise<void>> = [];
  private conflict: Error | null = null;
  private metaWritten = false;

  constructor(
    private readonly app: Runtime,
    private readonly rec: InvocationRecord,
    private readonly state: StateBackend,
    private readonly store: WorkflowStore,
    private readonly hooks: WaitHooks | undefined,
    /** The attempt's signal (aborted on timeout), made on first use. */
    private readonly signal: () => AbortSignal,
    /** Values recorded by earlier runs of this invocation (empty on a first attempt). */
    private readonly recorded: Record<string, string>,
  ) {
    this.id = workflowIdOf(rec);
  }

  /**
   * What earlier runs of `rec` recorded, read before the attempt starts because random()/uuid()/now()
   * answer synchronously. Only a re-run can find recorded values: a first attempt skips the read.
   */
  static recordedFor(
    workflows: WorkflowStore,
    rec: InvocationRecord,
  ): Promise<Record<string, string>> | Record<string, string> {
    return rec.attempt > 1 ? workflows.wfList(workflowIdOf(rec)) : NOTHING_RECORDED;
  }

  random(): number {
    return Number(this.syncStep('r', () => String(original.random())));
  }
  uuid(): string {
    return this.syncStep('u', () => original.uuid());
  }
  now(): number {
    return Number(this.syncStep('n', () => String(original.now())));
  }

  async executeTask<A extends TaskArgs, R>(task: StepTask<A, R>, args: A): Promise<R> {
    await this.flush();
    const key = this.nextKey();
    // Next to the invocation running this step, where a sharded backend keeps its children.
    const parent = currentInvocation.getStore()?.invocationId;
    let childId = await this.durable(key, 'c', () =>
      newInvocationId(parent === undefined ? undefined : placementOf(parent)),
    );
    // The child may be missing if a crash came between recording its id and registering it.
    if (!(await this.state.get(childId))) {
      const inv = await task.callWithId(childId, args);
      if (inv.id !== childId) {
        childId = inv.id;
        await this.store.wfSet(this.id, key, `c:${childId}`);
      }
    }
    return this.app.invocation<R>(childId).result();
  }

  async setData(key: string, value: unknown): Promise<void> {
    await this.flush();
    await this.store.wfSet(
      this.id,
      dataKey(key),
      this.app.serializer.serialize(value, `workflow data "${key}"`),
    );
  }

  async getData<T = unknown>(key: string): Promise<T | undefined> {
    const v = await this.store.wfGet(this.id, dataKey(key));
    return v === null ? undefined : (this.app.serializer.deserialize(v) as T);
  }

  async sleep(ms: number): Promise<void> {
    await this.flush();
    const wake = Number(await this.durable(this.nextKey(), 'w', () => String(original.now() + ms)));
    const left = wake - original.now();
    if (left <= 0) {
      return;
    }
    await this.paused(() => delay(left, undefined, { signal: this.signal() }));
  }

  async waitForEvent<T = unknown>(
    code: string,
    filter?: Record<string, unknown> | ((payload: T) => boolean),
  ): Promise<T> {
    await this.flush();
    const key = this.nextKey();
    const since = Number(await this.durable(key, 'e', () => String(original.now())));
    const gotKey = `${key}:got`;
    const got = this.recorded[gotKey] ?? (await this.store.wfGet(this.id, gotKey));
    if (got !== null && got !== undefined) {
      return this.app.serializer.deserialize(got) as T;
    }
    const { triggers } = await this.app.backends();
    const every = this.app.config.triggers.check_interval_ms;
    const payload = await this.paused(async () => {
      let from = since;
      for (;;) {
        const events = await triggers.events(from, 500);
        for (const e of events) {
          if (e.code !== code) {
            continue;
          }
          const value = this.app.serializer.deserialize(e.payload) as T;
          if (
            filter === undefined ||
            (typeof filter === 'function' ? filter(value) : partialMatch(value, filter))
          ) {
            return this.store.wfSetIfAbsent(this.id, gotKey, e.payload);
          }
        }
        if (events.length === 500) {
          from = events[events.length - 1]!.at;
          continue;
        }
        await delay(every, undefined, { signal: this.signal() });
      }
    });
    return this.app.serializer.deserialize(payload) as T;
  }

  /** Awaits the background recordings; fails the attempt if another run recorded other values. */
  async flush(): Promise<void> {
    if (this.pending.length) {
      await Promise.all(this.pending.splice(0));
    }
    if (this.conflict) {
      throw this.conflict;
    }
  }

  private nextKey(): string {
    return `s:${this.rec.id}:${++this.seq}`;
  }

  private syncStep(kind: Kind, make: () => string): string {
    const key = this.nextKey();
    const have = this.recorded[key];
    if (have !== undefined) {
      return this.checkKind(key, kind, have);
    }
    const value = `${kind}:${make()}`;
    this.pending.push(
      this.writeMeta()
        .then(() => this.store.wfSetIfAbsent(this.id, key, value))
        .then((stored) => {
          if (stored !== value) {
            this.conflict = new DeterminismError(
              `workflow ${this.id}: step ${key} was recorded by another run of invocation ${this.rec.id} with a different value`,
              'an invocation ran twice at once; the attempt is failed so that only the recorded values are used',
            );
          }
        }),
    );
    return value.slice(2);
  }

  /** A step whose value is recorded before use (set-if-absent: racing runs agree on one). */
  private async durable(key: string, kind: Kind, make: () => string): Promise<string> {
    const have = this.recorded[key];
    if (have !== undefined) {
      return this.checkKind(key, kind, have);
    }
    await this.writeMeta();
    return this.checkKind(
      key,
      kind,
      await this.store.wfSetIfAbsent(this.id, key, `${kind}:${make()}`),
    );
  }

  private checkKind(key: string, kind: Kind, stored: string): string {
    const was = stored.slice(0, 1) as Kind;
    if (was !== kind) {
      throw new DeterminismError(
        `workflow ${this.id}: step ${key.split(':').pop()} of task "${this.rec.taskId}" was ${KIND_NAMES[was] ?? was} on an earlier run and is ${KIND_NAMES[kind]} now`,
        'a workflow task must take the same ctx.wf steps in the same order on every run; do not branch on values that are not recorded',
      );
    }
    return stored.slice(2);
  }

  /** The root invocation of a workflow records its type once (child workflows at call time). */
  private async writeMeta(): Promise<void> {
    if (this.metaWritten) {
      return;
    }
    this.metaWritten = true;
    if (this.rec.id !== this.id) {
      return;
    }
    const meta: WorkflowMeta = {
      type: this.rec.taskId,
      rootInvocationId: this.rec.id,
      parentWorkflowId: null,
      parentInvocationId: this.rec.parentId,
    };
    await this.store.wfSetIfAbsent(this.id, META_KEY, JSON.stringify(meta));
  }

  /** Leaves the slot (PAUSED) while waiting; takes one again (RESUMED) after. */
  private async paused<T>(wait: () => Promise<T>): Promise<T> {
    await this.hooks?.pause();
    try {
      return await wait();
    } finally {
      await this.hooks?.resume();
    }
  }
}

function dataKey(key: string): string {
  return `d:${key}`;
}
