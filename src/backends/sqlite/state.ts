import type { Statement } from 'better-sqlite3';
import { FINAL_STATUSES } from '../../core/status.js';
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
import { extrasValues, toExtras, upsertExtrasSql, type ExtrasRow } from '../common/extras-rows.js';

const UPSERT_EXTRAS = upsertExtrasSql(() => '?');
import type { SqliteDb } from './db.js';
import { chunks, toRecord, type InvocationRow } from './rows.js';
import { EnqueueRows } from './enqueue-rows.js';
import { sqlList } from '../common/sql-dialect.js';

const FINAL_LIST = sqlList(FINAL_STATUSES);
/**
 * The finished ones among invocations looked up by id. `+status` keeps the test off the status
 * index: without statistics SQLite would otherwise read every finished invocation through it (a
 * million stored, a second per look-up) instead of the few asked for by primary key.
 */
export const FINAL_AMONG_IDS = ` AND +status IN (${FINAL_LIST})`;

export class SqliteStateBackend implements StateBackend {
  /** The enqueue statements on this backend's handle (shared with the hot path). */
  readonly rows: EnqueueRows;
  private readonly getStmt: Statement;

  constructor(private readonly db: SqliteDb) {
    this.rows = new EnqueueRows(db.db);
    this.getStmt = db.db.prepare('SELECT * FROM invocations WHERE id = ?');
  }

  async insert(invs: NewInvocation[], now: number): Promise<string[]> {
    return this.db.write(() => this.insertRows(invs, now));
  }

  /** Must run inside a write transaction (so a registration-key match cannot race). */
  insertRows(invs: NewInvocation[], now: number): string[] {
    return this.rows.insert(invs, now).map((r) => r.id);
  }

  async get(id: string): Promise<InvocationRecord | null> {
    const row = this.db.read(() => this.getStmt.get(id)) as InvocationRow | undefined;
    return row ? toRecord(row) : null;
  }

  async getMany(ids: string[]): Promise<InvocationRecord[]> {
    return this.selectIn(ids, '');
  }

  private selectIn(ids: string[], extra: string): InvocationRecord[] {
    const out: InvocationRecord[] = [];
    for (const part of chunks(ids)) {
      const rows = this.db.read(() =>
        this.db.db
          .prepare(
            `SELECT * FROM invocations WHERE id IN (${part.map(() => '?').join(',')})${extra}`,
          )
          .all(...part),
      ) as InvocationRow[];
      for (const r of rows) {
        out.push(toRecord(r));
      }
    }
    return out;
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const rows = this.db.read(() =>
      this.db.db
        .prepare('SELECT status, runner_id, at FROM history WHERE inv_id = ? ORDER BY seq')
        .all(id),
    ) as Array<{ status: string; runner_id: string | null; at: number }>;
    return rows.map((r) => ({
      status: r.status as HistoryEntry['status'],
      runnerId: r.runner_id,
      at: r.at,
    }));
  }

  async historyMany(ids: string[]): Promise<Record<string, HistoryEntry[]>> {
    const out: Record<string, HistoryEntry[]> = {};
    for (const part of chunks(ids)) {
      const rows = this.db.read(() =>
        this.db.db
          .prepare(
            `SELECT inv_id, status, runner_id, at FROM history WHERE inv_id IN (${part.map(() => '?').join(',')}) ORDER BY seq`,
          )
          .all(...part),
      ) as Array<{ inv_id: string; status: string; runner_id: string | null; at: number }>;
      for (const r of rows) {
        (out[r.inv_id] ??= []).push({
          status: r.status as HistoryEntry['status'],
          runnerId: r.runner_id,
          at: r.at,
        });
      }
    }
    return out;
  }

  async list(f: InvocationFilter): Promise<InvocationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.taskId !== undefined) {
      where.push('task_id = ?');
      params.push(f.taskId);
    }
    if (f.statuses?.length) {
      where.push(`status IN (${f.statuses.map(() => '?').join(',')})`);
      params.push(...f.statuses);
    }
    if (f.owner !== undefined) {
      where.push('owner = ?');
      params.push(f.owner);
    }
    if (f.parentId !== undefined) {
      where.push('parent_id = ?');
      params.push(f.parentId);
    }
    if (f.createdAfter !== undefined) {
      where.push('created_at >= ?');
      params.push(f.createdAfter);
    }
    if (f.createdBefore !== undefined) {
      where.push('created_at < ?');
      params.push(f.createdBefore);
    }
    const limit = f.limit !== undefined ? Math.floor(f.limit) : f.offset ? -1 : undefined;
    const page = `${limit !== undefined ? ` LIMIT ${limit}` : ''}${f.offset ? ` OFFSET ${Math.floor(f.offset)}` : ''}`;
    const sql = `SELECT * FROM invocations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC${page}`;
    return (this.db.read(() => this.db.db.prepare(sql).all(...params)) as InvocationRow[]).map(
      toRecord,
    );
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = this.db.read(() =>
      this.db.db.prepare('SELECT status, COUNT(*) AS n FROM invocations GROUP BY status').all(),
    ) as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  watchFinal(ids: string[]): FinalWatch {
    const changed = this.db.changeDetector();
    return this.db.finals.watch(ids, {
      fetchFinal: async (want) => this.selectIn(want, FINAL_AMONG_IDS),
      pollMs: this.db.pollIntervalMs,
      changedElsewhere: changed,
    });
  }

  async heartbeat(r: RunnerInfo): Promise<void> {
    this.db.write(() =>
      this.db.db
        .prepare(
          `INSERT INTO runners (id, info, heartbeat_at) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET info = excluded.info, heartbeat_at = excluded.heartbeat_at`,
        )
        .run(r.id, JSON.stringify(r), r.heartbeatAt),
    );
  }

  async runners(): Promise<RunnerInfo[]> {
    const rows = this.db.read(() =>
      this.db.db.prepare('SELECT info, heartbeat_at FROM runners ORDER BY id').all(),
    ) as Array<{ info: string; heartbeat_at: number }>;
    return rows.map((r) => ({
      ...(JSON.parse(r.info) as RunnerInfo),
      heartbeatAt: r.heartbeat_at,
    }));
  }

  async removeRunner(id: string): Promise<void> {
    this.db.write(() => this.db.db.prepare('DELETE FROM runners WHERE id = ?').run(id));
  }

  async setExtras(id: string, patch: Partial<InvocationExtras>): Promise<void> {
    this.db.write(() => this.db.db.prepare(UPSERT_EXTRAS).run(id, ...extrasValues(patch)));
  }

  async extras(ids: string[]): Promise<Record<string, InvocationExtras>> {
    if (!ids.length) {
      return {};
    }
    const rows = this.db.read(() =>
      this.db.db
        .prepare('SELECT * FROM invocation_extras WHERE inv_id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify(ids)),
    ) as ExtrasRow[];
    return Object.fromEntries(rows.map((r) => [r.inv_id, toExtras(r)]));
  }

  async appendLogs(lines: LogRecord[]): Promise<void> {
    if (!lines.length) {
      return;
    }
    this.db.write(() => {
      const stmt = this.db.db.prepare(
        'INSERT INTO logs (inv_id, at, level, message, fields) VALUES (?, ?, ?, ?, ?)',
      );
      for (const l of lines) {
        stmt.run(l.invocationId, l.at, l.level, l.message, JSON.stringify(l.fields));
      }
    });
  }

  async logs(invocationId: string): Promise<LogRecord[]> {
    const rows = this.db.read(() =>
      this.db.db
        .prepare('SELECT at, level, message, fields FROM logs WHERE inv_id = ? ORDER BY seq')
        .all(invocationId),
    ) as Array<{ at: number; level: string; message: string; fields: string }>;
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
