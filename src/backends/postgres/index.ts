/**
 * The postgres backend: every role in one PostgreSQL schema (postgres.schema) shared by many hosts.
 * Claims with FOR UPDATE SKIP LOCKED, transitions validated in one transaction, LISTEN/NOTIFY
 * wake-ups. pg is loaded only when this backend is chosen (registry.ts imports this lazily).
 */
import { PgWorkflowStore } from './workflows.js';
import { createLogger } from '../../core/logger.js';
import type { BackendFactory } from '../backends.js';
import { PgBroker } from './broker.js';
import { checkSchemaName } from './connection.js';
import { PgDataStore } from './data.js';
import { PgDb } from './db.js';
import { pgHotPath } from './hot-path.js';
import { PgOrchestrator } from './orchestrator.js';
import { PgStateBackend } from './state.js';
import { PgTriggerStore } from './triggers.js';
import { PgCancelSignals } from './cancels.js';
import { PgTaskPauses } from './pauses.js';
import { PgTxEnqueue } from './tx-enqueue.js';

export { migrate, type MigrateResult } from './migrate.js';

export const createPostgresBackend: BackendFactory = async ({ config }, _options, use) => {
  const { url, schema, pool_size } = config.postgres;
  const d = await PgDb.open({
    url,
    schema: checkSchemaName(schema),
    poolSize: pool_size,
    applicationName: `taskapp ${config.app_id}`,
    listen: use?.wakeups !== false,
    log: createLogger(config.logging_level, config.monitor.log_format, {
      app: config.app_id,
      backend: 'postgres',
    }),
  });
  const broker = new PgBroker(d);
  const state = new PgStateBackend(d);
  const orchestrator = new PgOrchestrator(d);
  return {
    broker,
    state,
    orchestrator,
    hotPath: pgHotPath(d, state, broker, orchestrator),
    triggers: new PgTriggerStore(d),
    data: new PgDataStore(d),
    workflows: new PgWorkflowStore(d),
    cancels: new PgCancelSignals(d),
    pauses: new PgTaskPauses(d),
    tx: new PgTxEnqueue(d, schema),
    close: async () => {
      await broker.close();
      await d.close();
    },
  };
};
