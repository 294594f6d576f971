/**
 * Enqueue through the caller's own better-sqlite3 handle inside its open transaction
 * (src/backends/tx-enqueue.ts), for apps whose tables live in taskapp's database file: the same
 * statements as the hot path (enqueue-rows.ts, the trigger store's addEvent), prepared on the
 * caller's handle. Runners in this process and others see the rows once the caller commits
 * (PRAGMA data_version, polled every sqlite.poll_interval_ms while idle).
 */
import type { Database } from 'better-sqlite3';
import { realpathSync } from 'node:fs';
import { TransactionError } from '../../core/errors.js';
import type { NewInvocation } from '../../core/records.js';
import { SQLITE_DIALECT } from '../common/sql-dialect.js';
import { SqlTriggerStore } from '../common/sql-trigger-store.js';
import type { StoredEvent } from '../trigger-store.js';
import type { TxEnqueue, TxEnqueued, TxHandle } from '../tx-enqueue.js';
import { EnqueueRows } from './enqueue-rows.js';

const USAGE =
  'open the same file (sqlite.path) with better-sqlite3 and call inside its transaction: db.transaction(...) is synchronous, so BEGIN by hand: db.exec("BEGIN IMMEDIATE"); ...; await task.call(args, { tx: db }); db.exec("COMMIT")';

export class SqliteTxEnqueue implements TxEnqueue {
  /** Statements prepared on each caller handle, kept as long as the handle lives. */
  private readonly prepared = new WeakMap<
    Database,
    { rows: EnqueueRows; triggers: SqlTriggerStore }
  >();

  constructor(private readonly path: string) {}

  async enqueue(
    tx: TxHandle,
    invs: NewInvocation[],
    now: number,
    notBefore: number | undefined,
  ): Promise<TxEnqueued[]> {
    return this.on(tx).rows.enqueue(invs, now, notBefore ?? 0, true);
  }

  async addEvent(tx: TxHandle, e: StoredEvent): Promise<void> {
    await this.on(tx).triggers.addEvent(e);
  }

  /** The statements on `tx`, after checking it is a handle on this file with a transaction open. */
  private on(tx: TxHandle): { rows: EnqueueRows; triggers: SqlTriggerStore } {
    const db = tx as Partial<Database>;
    if (typeof db?.prepare !== 'function' || typeof db.inTransaction !== 'boolean') {
      throw new TransactionError(
        'TX_NOT_OPEN',
        '{ tx } must be a better-sqlite3 Database inside a transaction (sqlite backend)',
        USAGE,
      );
    }
    if (!db.open || !db.inTransaction) {
      throw new TransactionError(
        'TX_NOT_OPEN',
        `{ tx } is a better-sqlite3 Database on ${db.name} with no open transaction: the invocation would be committed at once, on its own`,
        USAGE,
      );
    }
    if (db.memory || this.path === ':memory:' || !sameFile(db.name!, this.path)) {
      throw new TransactionError(
        'TX_UNSUPPORTED',
        `{ tx } is a database on ${db.name}, but taskapp's is ${this.path}: one transaction cannot span two SQLite files`,
        `keep the app's tables in taskapp's file (open sqlite.path, ${this.path}, with better-sqlite3), or use app.outbox(...) with a PostgreSQL database`,
      );
    }
    let got = this.prepared.get(db as Database);
    if (!got) {
      const handle = db as Database;
      got = {
        rows: new EnqueueRows(handle),
        triggers: new SqlTriggerStore(
          {
            rows: async <R>(sql: string, params: unknown[]) =>
              handle.prepare(sql).all(...params) as R[],
            changes: async (sql, params) => handle.prepare(sql).run(...params).changes,
            retry: (_what, fn) => fn(0),
          },
          SQLITE_DIALECT,
        ),
      };
      this.prepared.set(handle, got);
    }
    return got;
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
