/**
 * One process's postgres backend parts (db, broker, state, hot path) for the tests of this folder
 * that look at what a process sends: counters of its transactions, single statements and reads of
 * finals, and a barrier for the NOTIFYs committed so far.
 */
import pg from 'pg';
import { PgBroker } from '../../../../src/backends/postgres/broker.js';
import { PgDb } from '../../../../src/backends/postgres/db.js';
import { pgHotPath } from '../../../../src/backends/postgres/hot-path.js';
import { PgOrchestrator } from '../../../../src/backends/postgres/orchestrator.js';
import { PgStateBackend } from '../../../../src/backends/postgres/state.js';
import { createLogger } from '../../../../src/core/logger.js';
import { PG_URL } from '../../../helpers/postgres.js';

export type PgParts = Awaited<ReturnType<typeof openParts>>;

/** `counts`: PgDb.transaction and PgDb.once calls; `fetched`: the ids of each fetchFinal. */
export async function openParts(schema: string, opts: { idleRecheckMs?: number } = {}) {
  const db = await PgDb.open({
    url: PG_URL,
    schema,
    poolSize: 4,
    applicationName: 'taskapp postgres parts test',
    log: createLogger('error'),
    ...opts,
  });
  const counts = { transactions: 0, statements: 0 };
  const fetched: string[][] = [];
  const transaction = db.transaction.bind(db);
  db.transaction = (...args) => {
    counts.transactions++;
    return transaction(...args);
  };
  const once = db.once.bind(db);
  db.once = (...args) => {
    counts.statements++;
    return once(...args);
  };
  const fetchFinal = db.fetchFinal.bind(db);
  db.fetchFinal = (ids) => {
    fetched.push(ids);
    return fetchFinal(ids);
  };
  const broker = new PgBroker(db);
  const state = new PgStateBackend(db);
  const orch = new PgOrchestrator(db);
  const hot = pgHotPath(db, state, broker, orch);
  return {
    db,
    broker,
    state,
    orch,
    hot,
    counts,
    fetched,
    close: async () => {
      await broker.close();
      await db.close();
    },
  };
}

let markers = 0;

/**
 * Resolves once `db`'s LISTEN connection has handled every NOTIFY committed before this call: the
 * server delivers them in commit order, so a marker sent now, from a connection of its own, comes
 * after all of them.
 */
export async function heardAllSoFar(db: PgDb): Promise<void> {
  const marker = `marker-${process.pid}-${++markers}`;
  const heard = new Promise<void>((resolve) => {
    const heardIds = db.finals.heard.bind(db.finals);
    db.finals.heard = (ids) => {
      heardIds(ids);
      if ([...ids].includes(marker)) {
        db.finals.heard = heardIds;
        resolve();
      }
    };
  });
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query('SELECT pg_notify($1, $2)', [db.channel, `f\n${marker}`]);
  } finally {
    await c.end();
  }
  await heard;
}
