/**
 * What `call`, `status` and `list` read and show: an invocation as plain data (arguments and
 * result decoded, error with its stack, history with runner ids), the same for text and --json.
 */
import type { CallOptions } from '../app/call-options.js';
import { waitingOn, type WaitingOn } from '../runtime/waiting.js';
import type { App } from '../app/app.js';
import { TaskappError, UnknownTaskError } from '../core/errors.js';
import { isFinal, type Status } from '../core/status.js';
import { runnerOf, type HistoryEntry, type InvocationRecord } from '../core/records.js';
import { workflowIdOf } from '../workflows/identity.js';
import type { ErrorData } from '../serialization/serializer.js';
import { toJsonSafe } from './format.js';
import { runtimeOf } from '../runtime/runtime.js';

export interface InvocationView {
  id: string;
  task: string;
  status: Status;
  final: boolean;
  args: unknown;
  /** The runner holding it now, else the last runner that moved it. */
  runner: string | null;
  owner: string | null;
  attempts: number;
  priority: number;
  parentId: string | null;
  workflowId: string | null;
  createdAt: string;
  updatedAt: string;
  result?: unknown;
  error?: {
    name: string;
    message: string;
    stack: string | null;
    fields: Record<string, unknown>;
  } | null;
  history: Array<{ status: Status; runner: string | null; at: string; sinceStartMs: number }>;
  /** For a PAUSED or concurrency-controlled invocation: what it waits for (status only). */
  waitingOn?: WaitingOn | null;
  /** What the task last reported with ctx.progress (status only). */
  progress?: { value: number; message: string | null; at: string } | null;
  /** The invocation this one reruns (status only). */
  rerunOf?: string | null;
}

function decode(app: App, text: string | null): unknown {
  if (text === null) {
    return null;
  }
  try {
    return runtimeOf(app).serializer.deserialize(text);
  } catch {
    return text;
  }
}

export function viewOf(app: App, rec: InvocationRecord, history: HistoryEntry[]): InvocationView {
  const start = history[0]?.at ?? rec.createdAt;
  const err = rec.error ? (decode(app, rec.error) as ErrorData | string) : null;
  const view: InvocationView = {
    id: rec.id,
    task: rec.taskId,
    status: rec.status,
    final: isFinal(rec.status),
    args: toJsonSafe(decode(app, rec.args)),
    runner: runnerOf(rec, history),
    owner: rec.owner,
    attempts: rec.attempt,
    priority: rec.priority,
    parentId: rec.parentId,
    // A call outside any workflow starts one whose id is its own (stored as null).
    workflowId: workflowIdOf(rec),
    createdAt: new Date(rec.createdAt).toISOString(),
    updatedAt: new Date(rec.updatedAt).toISOString(),
    history: history.map((h) => ({
      status: h.status,
      runner: h.runnerId,
      at: new Date(h.at).toISOString(),
      sinceStartMs: h.at - start,
    })),
  };
  if (rec.status === 'SUCCESS') {
    view.result = toJsonSafe(decode(app, rec.result));
  }
  if (err !== null) {
    view.error =
      typeof err === 'string'
        ? { name: 'Error', message: err, stack: null, fields: {} }
        : {
            name: err.name,
            message: err.message,
            stack: err.stack ?? null,
            fields: toJsonSafe(err.fields ?? {}) as Record<string, unknown>,
          };
  }
  return view;
}

export async function loadView(app: App, id: string): Promise<InvocationView> {
  const rec = await app.getRecord(id);
  const { state } = await runtimeOf(app).backends();
  const extras = (await state.extras([id]))[id];
  const p = extras?.progress;
  return {
    ...viewOf(app, rec, await state.history(id)),
    waitingOn: await waitingOn(runtimeOf(app), rec),
    progress: p ? { value: p.value, message: p.message, at: new Date(p.at).toISOString() } : null,
    rerunOf: extras?.rerunOf ?? null,
  };
}

export interface CallOutcome {
  id: string;
  task: string;
  status?: Status;
  result?: unknown;
}

/** Enqueues one invocation; with `wait`, waits for it and returns its result (or throws its failure). */
export async function callTask(
  app: App,
  taskId: string,
  args: Record<string, unknown>,
  opts: { wait: boolean; timeoutMs?: number; call?: CallOptions },
): Promise<CallOutcome> {
  const task = app.getTask(taskId);
  if (!task) {
    throw new UnknownTaskError(taskId, app.taskIds());
  }
  const inv = await task.call(args, opts.call);
  if (!opts.wait) {
    return { id: inv.id, task: taskId };
  }
  try {
    const result = await inv.result({ timeoutMs: opts.timeoutMs });
    return { id: inv.id, task: taskId, status: 'SUCCESS', result: toJsonSafe(result) };
  } catch (err) {
    const rec = await app.getRecord(inv.id).catch(() => null);
    if (
      rec?.status !== 'FAILED' &&
      rec?.status !== 'CONCURRENCY_CONTROLLED_FINAL' &&
      rec?.status !== 'CANCELLED'
    ) {
      throw err;
    }
    const e = err as Error;
    throw new TaskappError(
      'TASK_FAILED',
      `invocation ${inv.id} of "${taskId}" ended ${rec.status}: ${e.name}: ${e.message}`,
      {
        fix: `see its error, stack and history with: taskapp status ${inv.id}`,
      },
    );
  }
}
