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
  const queueInsert: Statement = d.db.prepare('INSERT INTO queue (inv_id, priority, not_before) VALUES (?, ?, 0)');
  return {
    async enqueue(invs, now) {
      d.write(() => {
        state.insertRows(invs, now);
        for (const i of invs) queueInsert.run(i.id, clampPriority(i.priority));
      });
      d.queueWakeup.notify();
    },
    claimAndStart(max, waitMs, runnerId) {
      return broker.claimWith(max, waitMs, (ids, now) => {
        const out: InvocationRecord[] = [];
        for (const rec of orch.acquireRows(ids, runnerId, now)) out.push(orch.applyInTx({ id: rec.id, to: 'RUNNING', runnerId }, now, rec));
        return out;
      });
    },
  };
}
