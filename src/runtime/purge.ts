/**
 * Purge: deletes final invocations in bounded batches (a pause between two), then the data-store
 * blobs only they referred to (a sweep over the invocations holding blob references: those gone
 * release theirs). `taskapp purge`, the dashboard and retention (retention.ts) all come here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PurgeScope } from '../backends/orchestrator.js';
import type { Runtime } from './runtime.js';
import { FINAL_STATUSES } from '../core/status.js';

export interface PurgeOptions {
  /** Most invocations deleted per statement (default 500). */
  batchSize?: number;
  /** Pause between two batches, in ms (default 0). */
  pauseMs?: number;
  /** Only, or all but, some tasks. */
  scope?: Omit<PurgeScope, 'limit'>;
  /** Asked before each batch after the first: false stops (the runner stops, or lost its lease). */
  keepGoing?: () => boolean | Promise<boolean>;
}

export const DEFAULT_PURGE_BATCH = 500;

export async function purgeInvocations(
  app: Runtime,
  before: number,
  opts: PurgeOptions = {},
): Promise<{ purged: number; blobsDeleted: number }> {
  const { orchestrator, state, data } = await app.backends();
  const limit = opts.batchSize ?? DEFAULT_PURGE_BATCH;
  let purged = 0;
  for (let first = true; ; first = false) {
    if (!first) {
      if (opts.pauseMs) {
        await sleep(opts.pauseMs);
      }
      if (opts.keepGoing && !(await opts.keepGoing())) {
        break;
      }
    }
    const n = await orchestrator.purge(before, { ...opts.scope, limit });
    purged += n;
    if (n < limit) {
      break;
    }
  }
  if (purged === 0) {
    return { purged, blobsDeleted: 0 };
  }
  const referrers = await data.referrers();
  const alive = new Set<string>();
  for (let i = 0; i < referrers.length; i += 500) {
    for (const r of await state.getMany(referrers.slice(i, i + 500))) {
      alive.add(r.id);
    }
  }
  const gone = referrers.filter((id) => !alive.has(id));
  const blobsDeleted = gone.length ? await data.release(gone) : 0;
  return { purged, blobsDeleted };
}

/** How many invocations purgeInvocations(app, before) would delete: finished, updated before `before`. */
export async function countPurgeable(app: Runtime, before: number): Promise<number> {
  const { state } = await app.backends();
  const page = 1000;
  let count = 0;
  for (let offset = 0; ; offset += page) {
    const recs = await state.list({ statuses: [...FINAL_STATUSES], limit: page, offset });
    count += recs.filter((r) => r.updatedAt < before).length;
    if (recs.length < page) {
      return count;
    }
  }
}
