/**
 * The sqlite hot path: enqueue in one transaction; claim + PENDING + RUNNING in one transaction (one
 * row update per invocation); a runner's outcomes and its next claim in one transaction.
 */
import type { Statement } from 'better-sqlite3';
import type { InvocationRecord } from '../../core/records.js';
import type { HotPath } from '../hot-path.js';
import { isFinal } from '../../core/status.js';
import { clampPriority } from '../memory/broker.js';
import type { SqliteBroker } from './broker.js';
import type { SqliteDb } from './db.js';
import type { SqliteOrchestrator } from './orchestrator.js';
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
  return {
    async enqueue(invs, now) {
      const ids = d.write(() => {
        const used = state.insertRows(invs, now);
        invs.forEach((inv, k) => {
          if (used[k] === inv.id) {
            queueInsert.run(inv.id, clampPriority(inv.priority), 0);
          }
        });
        return used;
      });
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
      const res = d.write(() => {
        const written = orch.applyManyInTx(done, now);
        for (const r of written) {
          if (!(r instanceof Error) && isFinal(r.status)) {
            finals.push(r);
          }
        }
        return {
          done: written,
          started: broker.claimInTx(max, now, (ids) => start(ids, now, runnerId, finals)).out,
        };
      });
      d.finals.publish(finals);
      return res;
    },
  };

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
