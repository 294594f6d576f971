/**
 * Enqueue through the caller's own pg client inside its BEGIN (src/backends/tx-enqueue.ts). One
 * statement: the schema's enqueue_invocations() (migration 013), the same function SQL callers
 * reach as `taskapp.call(...)`, so there is one definition of what a transactional enqueue writes.
 * The function carries its own search_path: the caller's session settings are left alone.
 */
import { TransactionError } from '../../core/errors.js';
import type { NewInvocation } from '../../core/records.js';
import type { StoredEvent } from '../trigger-store.js';
import type { SqlTaskDeclaration, TxEnqueue, TxEnqueued, TxHandle } from '../tx-enqueue.js';
import { stmt, type PgDb } from './db.js';
import { quoteIdent } from './connection.js';
import { insertValues } from './state.js';

/** The part of a pg client this needs (pg.Client, a pool's PoolClient). */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  getTransactionStatus?(): string | null;
}

const USAGE =
  "check out one client, BEGIN on it and pass it: const c = await pool.connect(); await c.query('BEGIN'); await task.call(args, { tx: c }); await c.query('COMMIT')";

const DECLARE_TASKS = stmt(
  'declare_sql_tasks',
  `INSERT INTO sql_tasks (task_id, priority, reg_key, running_key, concurrency, refused, declared_at)
  SELECT u.*, $7::bigint FROM unnest($1::text[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[])
    AS u(task_id, priority, reg_key, running_key, concurrency, refused)
  ON CONFLICT (task_id) DO UPDATE SET priority = excluded.priority, reg_key = excluded.reg_key,
    running_key = excluded.running_key, concurrency = excluded.concurrency,
    refused = excluded.refused, declared_at = excluded.declared_at`,
);

export class PgTxEnqueue implements TxEnqueue {
  private readonly enqueueSql: string;
  private readonly emitSql: string;

  private readonly schema: string;
  private readonly maskedUrl: string;

  constructor(
    private readonly db: PgDb,
    schema: string,
  ) {
    this.schema = schema;
    this.maskedUrl = db.maskedUrl;
    const s = quoteIdent(schema);
    this.enqueueSql = `SELECT id, reused FROM ${s}.enqueue_invocations($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::bigint, $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[])`;
    this.emitSql = `SELECT ${s}.emit($1, $2::jsonb, $3)`;
  }

  async enqueue(
    tx: TxHandle,
    invs: NewInvocation[],
    now: number,
    notBefore: number | undefined,
  ): Promise<TxEnqueued[]> {
    const c = pgClientInTx(tx, '{ tx }', USAGE);
    if (!invs.length) {
      return [];
    }
    const values = [...insertValues(invs, now), invs.map(() => notBefore ?? 0)];
    const rows = (await this.run(c, this.enqueueSql, values)).rows as TxEnqueued[];
    return rows.map((r) => ({ id: r.id, reused: r.reused }));
  }

  async declareTasks(tasks: SqlTaskDeclaration[], now: number): Promise<void> {
    if (!tasks.length) {
      return;
    }
    await this.db.query(DECLARE_TASKS, [
      tasks.map((t) => t.taskId),
      tasks.map((t) => t.priority),
      tasks.map((t) => t.registrationKey),
      tasks.map((t) => t.concurrency?.key ?? null),
      tasks.map((t) => (t.concurrency ? JSON.stringify(t.concurrency) : null)),
      tasks.map((t) => t.refused),
      now,
    ]);
  }

  async addEvent(tx: TxHandle, e: StoredEvent): Promise<void> {
    await this.run(pgClientInTx(tx, '{ tx }', USAGE), this.emitSql, [e.code, e.payload, e.id]);
  }

  /** Runs on the caller's client; a client on another database gets an error naming the fix. */
  private async run(c: PgClientLike, sql: string, values: unknown[]): Promise<{ rows: any[] }> {
    try {
      return await c.query(sql, values);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // in_failed_sql_transaction: failed before this call (the client's status can lag the error).
      if (code === '25P02') {
        throw new TransactionError(
          'TX_NOT_OPEN',
          '{ tx } is a pg client whose transaction has already failed (PostgreSQL ignores commands until it ends)',
          'ROLLBACK it and retry the whole transaction',
          err,
        );
      }
      // undefined_function / invalid_schema_name: not taskapp's database (or not migrated).
      if (code === '42883' || code === '3F000') {
        throw new TransactionError(
          'TX_UNSUPPORTED',
          `{ tx }: the client's database has no taskapp schema "${this.schema}" at version 13 or later (${(err as Error).message}); its transaction is now aborted`,
          `connect the client to taskapp's database (postgres.url, ${this.maskedUrl}, schema "${this.schema}"), start taskapp once there to migrate it, or use app.outbox(client) for data in another database`,
          err,
        );
      }
      throw err;
    }
  }
}

/**
 * `tx` as a pg client inside an open transaction, or the error that says what to pass. `what`
 * names the option in messages; `usage` is the fix.
 */
export function pgClientInTx(tx: TxHandle, what: string, usage: string): PgClientLike {
  const c = tx as Partial<PgClientLike> & { totalCount?: unknown; connect?: unknown };
  if (typeof c?.query !== 'function') {
    throw new TransactionError(
      'TX_NOT_OPEN',
      `${what} must be a pg client inside BEGIN, got ${describe(tx)}`,
      usage,
    );
  }
  if (typeof c.getTransactionStatus !== 'function' && 'totalCount' in c) {
    throw new TransactionError(
      'TX_NOT_OPEN',
      `${what} is a pg.Pool: a pool runs each query on whichever connection is free, so it cannot hold a transaction`,
      usage,
    );
  }
  const status = c.getTransactionStatus?.();
  // 'T': in a transaction block; 'I': idle (autocommit); 'E': a failed transaction.
  if (status === 'I') {
    throw new TransactionError(
      'TX_NOT_OPEN',
      `${what} is a pg client that is not inside a transaction: the write would be committed at once, on its own`,
      `run BEGIN on it first (await client.query('BEGIN')); ${usage}`,
    );
  }
  if (status === 'E') {
    throw new TransactionError(
      'TX_NOT_OPEN',
      `${what} is a pg client whose transaction has already failed (PostgreSQL ignores commands until it ends)`,
      'ROLLBACK it and retry the whole transaction',
    );
  }
  return c as PgClientLike;
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    return JSON.stringify(v) ?? String(v);
  }
  return `an instance of ${(Object.getPrototypeOf(v) as { constructor?: { name?: string } })?.constructor?.name ?? 'Object'}`;
}
