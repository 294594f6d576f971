/**
 * Rerun: a new invocation of the same task with the same arguments, linked to the one it reruns
 * (its extras' `rerunOf`, written before it is enqueued, so it never exists unlinked). Only a
 * finished invocation is rerun: one still waiting or running would then run twice.
 */
import { TaskappError, UnknownTaskError } from '../core/errors.js';
import { newInvocationId } from '../core/ids.js';
import type { InvocationRecord } from '../core/records.js';
import { FINAL_STATUSES, isFinal, type Status } from '../core/status.js';
import { argStore } from './arg-store.js';
import type { Runtime } from './runtime.js';

export interface Rerun {
  id: string;
  rerunOf: string;
}

/** Reruns one finished record. */
async function rerunRecord(app: Runtime, rec: InvocationRecord): Promise<Rerun> {
  if (!isFinal(rec.status)) {
    throw new TaskappError(
      'BAD_ACTION',
      `invocation ${rec.id} is ${rec.status}, not finished: only a finished invocation (${[...FINAL_STATUSES].join(', ')}) can be rerun`,
      { fix: 'wait for it to finish (taskapp status ID --watch), then rerun it', exitCode: 2 },
    );
  }
  const task = app.getTask(rec.taskId);
  if (!task) {
    throw new UnknownTaskError(rec.taskId, app.taskIds());
  }
  const args = await argStore(app).resolve(rec.args);
  const id = newInvocationId();
  const { state } = await app.backends();
  await state.setExtras(id, { rerunOf: rec.id });
  const inv = await task.callWithId(id, args);
  return { id: inv.id, rerunOf: rec.id };
}

/** Reruns the finished invocation `id` (InvocationNotFoundError when unknown). */
export async function rerunInvocation(app: Runtime, id: string): Promise<Rerun> {
  return rerunRecord(app, await app.getRecord(id));
}

/** The most invocations one bulk rerun takes (`--limit` is bounded by it). */
export const MAX_BULK_RERUN = 10_000;
/** Read and rerun this many at a time. */
const RERUN_PAGE = 100;

export interface RerunFilter {
  /** Final statuses only (FAILED, SUCCESS, CONCURRENCY_CONTROLLED_FINAL). */
  statuses: Status[];
  taskId?: string;
  /** Created at or after this time. */
  since?: number;
  /** At most this many (1..MAX_BULK_RERUN). */
  limit: number;
  /** List what would be rerun, change nothing. */
  dryRun?: boolean;
}

/**
 * Reruns every invocation matching `filter`, newest first, in pages of 100. The matches are read
 * before anything is rerun, and only those created before the call began, so a rerun that fails
 * again is never taken up by the same bulk rerun.
 */
export async function rerunMatching(
  app: Runtime,
  filter: RerunFilter,
): Promise<{ matched: string[]; reruns: Rerun[] }> {
  const notFinal = filter.statuses.filter((s) => !isFinal(s));
  if (notFinal.length || !filter.statuses.length) {
    throw new TaskappError(
      'BAD_FILTER',
      `rerun --status ${notFinal.join(',') || '(none)'}: only finished invocations can be rerun`,
      { fix: `give one or more of ${[...FINAL_STATUSES].join(', ')}`, exitCode: 2 },
    );
  }
  if (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > MAX_BULK_RERUN) {
    throw new TaskappError(
      'BAD_FILTER',
      `rerun --limit ${filter.limit}: must be a whole number from 1 to ${MAX_BULK_RERUN}`,
      { fix: `e.g. --limit 500; rerun more in several runs`, exitCode: 2 },
    );
  }
  const { state } = await app.backends();
  const createdBefore = Date.now() + 1;
  const matched: InvocationRecord[] = [];
  for (let offset = 0; matched.length < filter.limit; offset += RERUN_PAGE) {
    const page = await state.list({
      statuses: filter.statuses,
      taskId: filter.taskId,
      createdAfter: filter.since,
      createdBefore,
      limit: Math.min(RERUN_PAGE, filter.limit - matched.length),
      offset,
    });
    matched.push(...page);
    if (page.length < RERUN_PAGE) {
      break;
    }
  }
  const reruns: Rerun[] = [];
  if (!filter.dryRun) {
    for (let i = 0; i < matched.length; i += RERUN_PAGE) {
      reruns.push(
        ...(await Promise.all(matched.slice(i, i + RERUN_PAGE).map((r) => rerunRecord(app, r)))),
      );
    }
  }
  return { matched: matched.map((r) => r.id), reruns };
}
