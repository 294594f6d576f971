/**
 * What a waiting invocation waits for, for `taskapp status`: a PAUSED one waits for the results of
 * its unfinished children; one held back by running concurrency waits for the invocations holding
 * its scope's slots.
 */
import type { Runtime } from './runtime.js';
import type { InvocationRecord } from '../core/records.js';
import { isFinal, QUEUED_STATUSES } from '../core/status.js';
import { ACTIVE_STATUSES } from '../orchestration/concurrency.js';

export interface WaitingOn {
  reason: string;
  invocations: Array<{ id: string; task: string; status: string }>;
}

export async function waitingOn(app: Runtime, rec: InvocationRecord): Promise<WaitingOn | null> {
  const { state } = await app.backends();
  const brief = (r: InvocationRecord) => ({ id: r.id, task: r.taskId, status: r.status });
  if (rec.status === 'PAUSED') {
    const open = (await state.list({ parentId: rec.id })).filter((r) => !isFinal(r.status));
    return { reason: 'the results of', invocations: open.map(brief) };
  }
  const cc = rec.concurrency;
  if (
    cc &&
    cc.maxRunning > 0 &&
    (rec.status === 'CONCURRENCY_CONTROLLED' || QUEUED_STATUSES.has(rec.status))
  ) {
    const holders = (
      await state.list({ taskId: rec.taskId, statuses: [...ACTIVE_STATUSES] })
    ).filter((r) => r.concurrency?.key === cc.key);
    if (rec.status === 'CONCURRENCY_CONTROLLED' || holders.length >= cc.maxRunning) {
      return {
        reason: `a running-concurrency slot (${holders.length} of ${cc.maxRunning} taken) held by`,
        invocations: holders.map(brief),
      };
    }
  }
  return null;
}
