import type {
  HistoryEntry,
  InvocationExtras,
  InvocationFilter,
  InvocationRecord,
  LogRecord,
  NewInvocation,
  RunnerInfo,
} from '../../core/records.js';
import type { FinalWatch, StateBackend } from '../state-backend.js';
import { FALLBACK_POLL_MS, LOCK_KEYS, stmt, type PgDb, type TxClient } from './db.js';
import { recordColumns, toRecord, type InvocationRow } from '../common/sql-rows.js';
import { HISTORY, HISTORY_MANY, histEntry } from './history.js';
import { extrasValues, toExtras, upsertExtrasSql, type ExtrasRow } from '../common/extras-rows.js';

const UPSERT_EXTRAS = stmt(
  'upsert_extras',
  upsertExtrasSql((n) => `$${n}`),
);
const EXTRAS = stmt('extras', 'SELECT * FROM invocation_extras WHERE inv_id = ANY($1::text[])');

const COLUMNS = `id, task_id, args, status, priority, parent_id, workflow_id, created_at, updated_at, reg_key, running_key, concurrency, call_options, hist`;
const ROWS = `SELECT u.id, u.task_id, u.args, 'REGISTERED', u.priority, u.parent_id, u.workflow_id, $7, $7, u.reg_key, u.running_key, u.concurrency, u.call_options,
      ARRAY[${histEntry('$7::bigint', "'REGISTERED'", 'NULL')}]
    FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $8::text[], $9::text[], $10::text[], $11::text[])
      WITH ORDINALITY AS u(id, task_id, args, priority, parent_id, workflow_id, reg_key, running_key, concurrency, call_options, ord)
    ORDER BY u.ord`;
// New invocations without registration keys, enqueued by one statement (alone it needs no
// transaction): the rows, their queue rows in call order ($12: clamped priorities) and the NOTIFY
// on channel $13 (one new item wakes one idle claimer: migration 019). ENQUEUE_RETRY, after a lost connection, queues only the rows it stored itself.
const QUEUED_AS = `INSERT INTO queue (inv_id, priority, not_before)
    SELECT u.id, u.priority, 0 FROM unnest($1::text[], $12::smallint[]) WITH ORDINALITY AS u(id, priority, ord)`;
const ENQUEUE_RETRY = stmt(
  'enqueue_retry',
  `WITH ins AS (INSERT INTO invocations (${COLUMNS}) ${ROWS} ON CONFLICT (id) DO NOTHING RETURNING id),
  q AS (${QUEUED_AS} WHERE u.id IN (SELECT id FROM ins) ORDER BY u.ord)
  SELECT pg_notify($13, queue_wake(cardinality($1::text[])))`,
  { wakesQueue: true },
);
export const ENQUEUE = stmt(
  'enqueue',
  `WITH ins AS (INSERT INTO invocations (${COLUMNS}) ${ROWS}),
  q AS (${QUEUED_AS} ORDER BY u.ord)
  SELECT pg_notify($13, queue_wake(cardinality($1::text[])))`,
  { wakesQueue: true, retryAs: ENQUEUE_RETRY },
);
// One statement: the invocations with their first history entries, all or none; after a lost
// connection, rows the earlier attempt committed are kept, not duplicated.
const INSERT = stmt('insert', `INSERT INTO invocations (${COLUMNS}) ${ROWS}`, {
  retryAs: stmt(
    'insert_retry',
    `INSERT INTO invocations (${COLUMNS}) ${ROWS} ON CONFLICT (id) DO NOTHING`,
  ),
});
// Its own snapshot, taken after the locks: sees every insert committed under them. $2: on a retry,
// this batch's ids (the earlier attempt may have committed). reg_open: reg_key while REGISTERED.
const FIND_REG = stmt(
  'find_reg',
  `SELECT id, reg_key, status FROM invocations
  WHERE reg_open = ANY($1::text[]) OR id = ANY($2::text[])`,
);
const GET = stmt('get', `SELECT ${recordColumns()} FROM invocations WHERE id = $1`);
const GET_MANY = stmt(
  'get_many',
  `SELECT ${recordColumns()} FROM invocations WHERE id = ANY($1::text[])`,
);
const HEARTBEAT = stmt(
  'heartbeat',
  `INSERT INTO runners (id, info, heartbeat_at) VALUES ($1, $2, $3)
  ON CONFLICT (id) DO UPDATE SET info = excluded.info, heartbeat_at = excluded.heartbeat_at`,
);
const APPEND_LOGS = stmt(
  'append_logs',
  `INSERT INTO logs (inv_id, at, level, message, fields)
  SELECT u.inv_id, u.at, u.level, u.message, u.fields FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(inv_id, at, level, message, fields, ord) ORDER BY u.ord`,
);
const LOGS = stmt(
  'logs',
  'SELECT at, level, message, fields FROM logs WHERE inv_id = $1 ORDER BY seq',
);

/** INSERT's parameters; also enqueue_invocations' (migration 014, tx-enqueue.ts), in the same order. */
export const insertValues = (invs: NewInvocation[], now: number): unknown[] => [
  invs.map((i) => i.id),
  invs.map((i) => i.taskId),
  invs.map((i) => i.args),
  invs.map((i) => i.priority),
  invs.map((i) => i.parentId),
  invs.map((i) => i.workflowId),
  now,
  invs.map((i) => i.registrationKey ?? null),
  invs.map((i) => i.concurrency?.key ?? null),
  invs.map((i) => (i.concurrency ? JSON.stringify(i.concurrency) : null)),
  invs.map((i) => (i.callOptions ? JSON.stringify(i.callOptions) : null)),
];

interface InsertPlan {
  /** The id each invocation ends up with (its own, or the REGISTERED one its key matched). */
  ids: string[];
  /** Those this transaction stores (the rest reused another, or an earlier attempt stored them). */
  fresh: NewInvocation[];
}

export class PgStateBackend implements StateBackend {
  constructor(private readonly db: PgDb) {}

  async insert(invs: NewInvocation[], now: number): Promise<string[]> {
    if (!invs.length) {
      return [];
    }
    if (!invs.some((i) => i.registrationKey)) {
      await this.db.query(INSERT, insertValues(invs, now));
      return invs.map((i) => i.id);
    }
    return (await this.db.tx((c, attempt) => this.insertInTx(c, invs, now, attempt))).ids;
  }

  /**
   * Inside a transaction: resolves registration keys under their locks and issues the insert (not
   * awaited: it goes out with the next statement or the COMMIT).
   */
  async insertInTx(
    c: TxClient,
    invs: NewInvocation[],
    now: number,
    attempt: number,
  ): Promise<InsertPlan> {
    const keys = [...new Set(invs.map((i) => i.registrationKey).filter((k): k is string => !!k))];
    const registered = new Map<string, string>();
    const stored = new Set<string>();
    if (keys.length || attempt > 0) {
      // Held until COMMIT: the look-up and the insert are one step per key across all processes.
      if (keys.length) {
        void c.query(LOCK_KEYS, [this.db.lockSpaces.registration, keys]);
      }
      const rows = (
        await c.query<{ id: string; reg_key: string | null; status: string }>(FIND_REG, [
          keys,
          attempt > 0 ? invs.map((i) => i.id) : [],
        ])
      ).rows;
      for (const r of rows) {
        if (r.reg_key !== null && r.status === 'REGISTERED') {
          registered.set(r.reg_key, r.id);
        }
        if (attempt > 0) {
          stored.add(r.id);
        }
      }
    }
    const fresh: NewInvocation[] = [];
    const ids = invs.map((i) => {
      const key = i.registrationKey;
      const hit = key ? registered.get(key) : undefined;
      if (stored.has(i.id)) {
        return i.id;
      }
      if (hit) {
        return hit;
      }
      if (key) {
        registered.set(key, i.id);
      } // a later call of this batch with the same key reuses this one
      fresh.push(i);
      return i.id;
    });
    if (fresh.length) {
      void c.query(INSERT, insertValues(fresh, now));
    }
    return { ids, fresh };
  }

  async get(id: string): Promise<InvocationRecord | null> {
    const [row] = await this.db.rows<InvocationRow>(GET, [id]);
    return row ? toRecord(row) : null;
  }

  async getMany(ids: string[]): Promise<InvocationRecord[]> {
    if (!ids.length) {
      return [];
    }
    return (await this.db.rows<InvocationRow>(GET_MANY, [ids])).map(toRecord);
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const rows = await this.db.rows<{
      status: HistoryEntry['status'];
      runner_id: string | null;
      at: number;
    }>(HISTORY, [id]);
    return rows.map((r) => ({ status: r.status, runnerId: r.runner_id, at: r.at }));
  }

  async historyMany(ids: string[]): Promise<Record<string, HistoryEntry[]>> {
    const out: Record<string, HistoryEntry[]> = {};
    if (!ids.length) {
      return out;
    }
    const rows = await this.db.rows<{
      inv_id: string;
      status: HistoryEntry['status'];
      runner_id: string | null;
      at: number;
    }>(HISTORY_MANY, [ids]);
    for (const r of rows) {
      (out[r.inv_id] ??= []).push({ status: r.status, runnerId: r.runner_id, at: r.at });
    }
    return out;
  }

  async list(f: InvocationFilter): Promise<InvocationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.taskId !== undefined) {
      where.push(`task_id = ${p(f.taskId)}`);
    }
    if (f.statuses?.length) {
      where.push(`status = ANY(${p(f.statuses)}::text[])`);
    }
    if (f.owner !== undefined) {
      where.push(`owner = ${p(f.owner)}`);
    }
    if (f.parentId !== undefined) {
      where.push(`parent_id = ${p(f.parentId)}`);
    }
    if (f.createdAfter !== undefined) {
      where.push(`created_at >= ${p(f.createdAfter)}`);
    }
    if (f.createdBefore !== undefined) {
      where.push(`created_at < ${p(f.createdBefore)}`);
    }
    const page = `${f.limit !== undefined ? ` LIMIT ${p(Math.floor(f.limit))}` : ''}${f.offset ? ` OFFSET ${p(Math.floor(f.offset))}` : ''}`;
    const sql = `SELECT * FROM invocations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, seq DESC${page}`;
    return (await this.db.rows<InvocationRow>(sql, params)).map(toRecord);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.db.rows<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM invocations GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  watchFinal(ids: string[]): FinalWatch {
    const d = this.db;
    return d.finals.watch(ids, {
      fetchFinal: (want) => d.fetchFinal(want),
      // NOTIFY brings other processes' finals; poll only while the LISTEN connection is down.
      get pollMs() {
        return d.listening ? undefined : FALLBACK_POLL_MS;
      },
      get hearsAll() {
        return d.listening;
      },
    });
  }

  async heartbeat(r: RunnerInfo): Promise<void> {
    await this.db.query(HEARTBEAT, [r.id, JSON.stringify(r), r.heartbeatAt]);
  }

  async runners(): Promise<RunnerInfo[]> {
    const rows = await this.db.rows<{ info: string; heartbeat_at: number }>(
      'SELECT info, heartbeat_at FROM runners ORDER BY id COLLATE "C"',
    );
    return rows.map((r) => ({
      ...(JSON.parse(r.info) as RunnerInfo),
      heartbeatAt: r.heartbeat_at,
    }));
  }

  async removeRunner(id: string): Promise<void> {
    await this.db.query('DELETE FROM runners WHERE id = $1', [id]);
  }

  async clock(): Promise<number> {
    const [row] = await this.db.rows<{ ms: string | number }>(
      'SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS ms',
    );
    return Number(row!.ms);
  }

  async setExtras(id: string, patch: Partial<InvocationExtras>): Promise<void> {
    await this.db.query(UPSERT_EXTRAS, [id, ...extrasValues(patch)]);
  }

  async extras(ids: string[]): Promise<Record<string, InvocationExtras>> {
    if (!ids.length) {
      return {};
    }
    const rows = await this.db.rows<ExtrasRow>(EXTRAS, [ids]);
    return Object.fromEntries(rows.map((r) => [r.inv_id, toExtras(r)]));
  }

  async appendLogs(lines: LogRecord[]): Promise<void> {
    if (!lines.length) {
      return;
    }
    await this.db.query(APPEND_LOGS, [
      lines.map((l) => l.invocationId),
      lines.map((l) => l.at),
      lines.map((l) => l.level),
      lines.map((l) => l.message),
      lines.map((l) => JSON.stringify(l.fields)),
    ]);
  }

  async logs(invocationId: string): Promise<LogRecord[]> {
    const rows = await this.db.rows<{ at: number; level: string; message: string; fields: string }>(
      LOGS,
      [invocationId],
    );
    return rows.map((r) => ({
      invocationId,
      at: r.at,
      level: r.level,
      message: r.message,
      fields: JSON.parse(r.fields) as Record<string, unknown>,
    }));
  }

  async close(): Promise<void> {}
}
