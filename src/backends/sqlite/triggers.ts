import { SQLITE_DIALECT } from '../common/sql-dialect.js';
import { SqlTriggerStore } from '../common/sql-trigger-store.js';
import type { SqliteDb } from './db.js';

/** The shared SQL trigger store on sqlite: reads as they are, each write its own transaction. */
export class SqliteTriggerStore extends SqlTriggerStore {
  constructor(db: SqliteDb) {
    super(
      {
        rows: async <R>(sql: string, params: unknown[]) =>
          db.read(() => db.db.prepare(sql).all(...params) as R[]),
        changes: async (sql, params) => db.write(() => db.db.prepare(sql).run(...params).changes),
        retry: (_what, fn) => fn(0),
      },
      SQLITE_DIALECT,
    );
  }
}
