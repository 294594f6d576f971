import { POSTGRES_DIALECT } from '../common/sql-dialect.js';
import { SqlTriggerStore } from '../common/sql-trigger-store.js';
import type { PgDb } from './db.js';

/** The shared SQL trigger store on postgres: each statement retried on a new connection if one drops. */
export class PgTriggerStore extends SqlTriggerStore {
  constructor(db: PgDb) {
    super(
      {
        rows: async <R>(sql: string, params: unknown[], once?: boolean) =>
          (once ? (await db.once<R>(sql, params)).rows : await db.rows<R>(sql, params)) as R[],
        changes: async (sql, params, once) =>
          (once ? await db.once(sql, params) : await db.query(sql, params)).rowCount ?? 0,
        retry: (what, fn) => db.retry(what, fn),
      },
      POSTGRES_DIALECT,
    );
  }
}
