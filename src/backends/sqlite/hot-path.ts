/**
 * The sqlite hot path: enqueue in one transaction; claim + PENDING + RUNNING in one transaction (one
 * row update per invocation); a runner's outcomes and its next claim in one transaction; a change
 * to a queued status together with its queue entry.
 */
import type { Statement } from 'better-sqlite3';
import type { InvocationRecord, RouteRequest } from '../../core/records.js';
import type { HotPath } from '../hot-path.js';
import { isFinal, QUEUED_STATUSES } from '../../core/status.js';
import { routeFor } from '../../orchestration/apply-transition.js';
import { toRecord, type InvocationRow } from './rows.js';
import { clampPriority } from '../memory/broker.js';
import type { SqliteBroker } from './broker.js';
import type { SqliteDb } from './db.js';
import { QUEUED_LIST, type SqliteOrchestrator } from './orchestrator.js';
import type { SqliteStateBackend } from './state.js';

export function sqliteHotPath(
  d: SqliteDb,
  state: SqliteStateBackend,
  broker: SqliteBroker,
  orch: SqliteOrchestrator,
): HotPath {
  const queueInsert: Statement = d.db.prepare(
    'INSERT INTO queue (inv_id, priority, not_before) VALUES (?, ?, ?)',
  );
  // Waiting by status, unchanged since ?, with no queue entry: the status index, then the queue
  // read once into a set for NOT IN (the queue has no index on inv_id). A parked entry counts as one.
  const strandedStmt: Statement = d.db.prepare(
    `SELECT * FROM invocations WHERE status IN (${QUEUED_LIST}) AND updated_at < ?
    AND id NOT IN (SELECT inv_id FROM queue) AND id NOT IN (SELECT inv_id FROM parked_queue)
    ORDER BY updated_at LIMIT ?`,
  );
  return {
    async enqueue(invs, now) {
      const ids = d.write(() => state.rows.enqueue(invs, now, 0).map((r) => r.id));
      d.queueWakeup.notify();
      return ids;
    },
    async claimAndStart(max, waitMs, runnerId) {
      const finals: InvocationRecord[] = [];
      const started = await broker.claimWith(max, waitMs, (ids, now) =>
        start(ids, now, runnerId, finals),
      );
      d.finals.publish(finals);
      return started;
    },
    async finishAndClaim(done, max, runnerId) {
      const now = Date.now();
      const finals: InvocationRecord[] = [];
      const res = d.write(() => ({
        done: writeAndRoute(done, now, finals),
        started: broker.claimInTx(max, now, (ids) => start(ids, now, runnerId, finals)).out,
      }));
      d.finals.publish(finals);
      if (res.done.some((r) => !(r instanceof Error) && QUEUED_STATUSES.has(r.status))) {
        d.queueWakeup.notify();
      }
      return res;
    },
    async transitionAndRoute(reqs, now) {
      const finals: InvocationRecord[] = [];
      const out = d.write(() => writeAndRoute(reqs, now, finals));
      d.finals.publish(finals);
      d.queueWakeup.notify();
      return out;
    },
    async requeueStranded(before, _now, limit) {
      const out = d.write(() => {
        const recs = (strandedStmt.all(before, limit) as InvocationRow[]).map(toRecord);
        for (const r of recs) {
          queueInsert.run(r.id, clampPriority(r.priority), 0);
        }
        return recs;
      });
      if (out.length) {
        d.queueWakeup.notify();
      }
      return out;
    },
  };

  /** Inside the caller's transaction: the changes, and a queue entry for each that landed in a queued status. */
  function writeAndRoute(
    reqs: RouteRequest[],
    now: number,
    finals: InvocationRecord[],
  ): Array<InvocationRecord | Error> {
    const written = orch.applyManyInTx(reqs, now);
    written.forEach((r, i) => {
      if (r instanceof Error) {
        return;
      }
      if (isFinal(r.status)) {
        finals.push(r);
      }
      const item = routeFor(r, reqs[i]!);
      if (item) {
        queueInsert.run(item.id, clampPriority(item.priority), item.notBefore ?? 0);
      }
    });
    return written;
  }

  /** Inside the claim's transaction: acquire (concurrency control) and start; blocked ones back to the queue. */
  function start(
    ids: string[],
    now: number,
    runnerId: string,
    finals: InvocationRecord[],
  ): InvocationRecord[] {
    const res = orch.acquireRows(ids, runnerId, now, true);
    for (const q of res.requeue) {
      queueInsert.run(q.id, clampPriority(q.priority), q.notBefore ?? 0);
    }
    finals.push(...res.finals);
    return res.acquired;
  }
}
