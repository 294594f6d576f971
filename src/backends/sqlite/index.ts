/** The sqlite backend: the embedded default, one WAL file shared by every process on the host. */
import { isAbsolute, join } from 'node:path';
import type { BackendFactory } from '../backends.js';
import { SqliteBroker } from './broker.js';
import { SqliteDataStore } from './data.js';
import { SqliteDb } from './db.js';
import { SqliteOrchestrator } from './orchestrator.js';
import { SqliteStateBackend } from './state.js';
import { SqliteTriggerStore } from './triggers.js';
import { SqliteWorkflowStore } from './workflows.js';
import { sqliteHotPath } from './hot-path.js';
import { SqliteCancelSignals } from './cancels.js';
import { SqliteTaskPauses } from './pauses.js';
import { SqliteTxEnqueue } from './tx-enqueue.js';

export const createSqliteBackend: BackendFactory = async ({ config, baseDir }) => {
  const { path, busy_timeout_ms, poll_interval_ms } = config.sqlite;
  const d = new SqliteDb({
    path: path === ':memory:' || isAbsolute(path) ? path : join(baseDir, path),
    busyTimeoutMs: busy_timeout_ms,
    pollIntervalMs: poll_interval_ms,
  });
  const broker = new SqliteBroker(d);
  const state = new SqliteStateBackend(d);
  const orchestrator = new SqliteOrchestrator(d);
  const cancels = new SqliteCancelSignals(d);
  return {
    broker,
    state,
    orchestrator,
    hotPath: sqliteHotPath(d, state, broker, orchestrator),
    triggers: new SqliteTriggerStore(d),
    data: new SqliteDataStore(d),
    workflows: new SqliteWorkflowStore(d),
    cancels,
    pauses: new SqliteTaskPauses(d),
    tx: new SqliteTxEnqueue(d.path),
    close: async () => {
      cancels.close();
      await broker.close();
      d.close();
    },
  };
};
