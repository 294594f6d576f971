/** The sqlite hot path: enqueue in one transaction; claim + PENDING + RUNNING in one transaction. */
import type { Statement } from 'better-sqlite3';
import type { InvocationRecord } from '../../core/records.js';
import type { HotPath } from '../hot-path.js';
import { clampPriority } from '../memory/broker.js';
import type { SqliteBroker } from './broker.js';
import type { SqliteDb } from './db.js';
import type { SqliteOrchestrator } from './orchestrator.js';
import type { SqliteStateBackend } from './state.js';

export function sqliteHotPath(d: SqliteDb, state: SqliteStateBackend, broker: SqliteBroker, orch: SqliteOrchestrator): HotPath {
  const queueInsert: Statement = d.db.prepare('INSERT INTO queue (inv_id, priority, not_before) VALUES (?, ?, ?)');
  return {
    async enqueue(invs, now) {
      const ids = d.write(() => {
        const used = state.insertRows(invs, now);
        invs.forEach((inv, k) => { if (used[k] === inv.id) queueInsert.run(inv.id, clampPriority(inv.priority), 0); });
        return used;
      });
      d.queueWakeup.notify();
      return ids;
    },
    async claimAndStart(max, waitMs, runnerId) {
      let finals: InvocationRecord[] = [];
      const started = await broker.claimWith(max, waitMs, (ids, now) => {
        const res = orch.acquireRows(ids, runnerId, now);
        for (const q of res.requeue) queueInsert.run(q.id, clampPriority(q.priority), q.notBefore ?? 0);
        finals = res.finals;
        return res.acquired.map((rec) => orch.applyInTx({ id: rec.id, to: 'RUNNING', runnerId }, now, rec));
      });
      d.finals.publish(finals);
      return started;
    },
  };
}
