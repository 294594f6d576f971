/**
 * Purge: deletes final invocations, then the data-store blobs only they referred to (a sweep over
 * the invocations holding blob references: those gone release theirs).
 */
import type { Runtime } from './runtime.js';
import { FINAL_STATUSES } from '../core/status.js';

export async function purgeInvocations(
  app: Runtime,
  before: number,
): Promise<{ purged: number; blobsDeleted: number }> {
  const { orchestrator, state, data } = await app.backends();
  const purged = await orchestrator.purge(before);
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
