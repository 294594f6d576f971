import type { HistoryEntry, InvocationFilter, InvocationRecord, NewInvocation, RunnerInfo } from '../../core/records.js';
import type { FinalWatch, StateBackend } from '../state-backend.js';
import { FALLBACK_POLL_MS, stmt, type PgDb } from './db.js';
import { toRecord, type InvocationRow } from './rows.js';

// One statement: the invocations and their first history entries, all or none.
const INSERT = stmt('insert', `WITH inv AS (
    INSERT INTO invocations (id, task_id, args, status, priority, parent_id, workflow_id, created_at, updated_at)
    SELECT u.id, u.task_id, u.args, 'REGISTERED', u.priority, u.parent_id, u.workflow_id, $7, $7
    FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[])
      WITH ORDINALITY AS u(id, task_id, args, priority, parent_id, workflow_id, ord)
    ORDER BY u.ord)
  INSERT INTO history (inv_id, status, runner_id, at)
  SELECT h.id, 'REGISTERED', NULL, $7 FROM unnest($1::text[]) WITH ORDINALITY AS h(id, ord) ORDER BY h.ord`);
// The same after a lost connection: rows the earlier attempt committed are kept, not duplicated.
const INSERT_RETRY = stmt('insert_retry', `WITH inv AS (
    INSERT INTO invocations (id, task_id, args, status, priority, parent_id, workflow_id, created_at, updated_at)
    SELECT u.id, u.task_id, u.args, 'REGISTERED', u.priority, u.parent_id, u.workflow_id, $7, $7
    FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[])
      WITH ORDINALITY AS u(id, task_id, args, priority, parent_id, workflow_id, ord)
    ORDER BY u.ord
    ON CONFLICT (id) DO NOTHING RETURNING id)
  INSERT INTO history (inv_id, status, runner_id, at) SELECT id, 'REGISTERED', NULL, $7 FROM inv`);
const GET = stmt('get', 'SELECT * FROM invocations WHERE id = $1');
const GET_MANY = stmt('get_many', 'SELECT * FROM invocations WHERE id = ANY($1::text[])');
const HISTORY = stmt('history', 'SELECT status, runner_id, at FROM history WHERE inv_id = $1 ORDER BY seq');
const HEARTBEAT = stmt('heartbeat', `INSERT INTO runners (id, info, heartbeat_at) VALUES ($1, $2, $3)
  ON CONFLICT (id) DO UPDATE SET info = excluded.info, heartbeat_at = excluded.heartbeat_at`);

export class PgStateBackend implements StateBackend {
  constructor(private readonly d: PgDb) {}

  async insert(invs: NewInvocation[], now: number): Promise<void> {
    if (!invs.length) return;
    const values = [invs.map((i) => i.id), invs.map((i) => i.taskId), invs.map((i) => i.args), invs.map((i) => i.priority),
      invs.map((i) => i.parentId), invs.map((i) => i.workflowId), now];
    await this.d.retry('insert', (attempt) => this.d.once(attempt ? INSERT_RETRY : INSERT, values));
  }

  async get(id: string): Promise<InvocationRecord | null> {
    const [row] = await this.d.rows<InvocationRow>(GET, [id]);
    return row ? toRecord(row) : null;
  }

  async getMany(ids: string[]): Promise<InvocationRecord[]> {
    if (!ids.length) return [];
    return (await this.d.rows<InvocationRow>(GET_MANY, [ids])).map(toRecord);
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const rows = await this.d.rows<{ status: HistoryEntry['status']; runner_id: string | null; at: number }>(HISTORY, [id]);
    return rows.map((r) => ({ status: r.status, runnerId: r.runner_id, at: r.at }));
  }

  async list(f: InvocationFilter): Promise<InvocationRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
    if (f.taskId !== undefined) where.push(`task_id = ${p(f.taskId)}`);
    if (f.statuses?.length) where.push(`status = ANY(${p(f.statuses)}::text[])`);
    if (f.owner !== undefined) where.push(`owner = ${p(f.owner)}`);
    if (f.createdAfter !== undefined) where.push(`created_at >= ${p(f.createdAfter)}`);
    const sql = `SELECT * FROM invocations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, seq DESC${f.limit !== undefined ? ` LIMIT ${p(Math.floor(f.limit))}` : ''}`;
    return (await this.d.rows<InvocationRow>(sql, params)).map(toRecord);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.d.rows<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM invocations GROUP BY status');
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  watchFinal(ids: string[]): FinalWatch {
    const d = this.d;
    return d.finals.watch(ids, {
      fetchFinal: (want) => d.fetchFinal(want),
      // NOTIFY brings other processes' finals; poll only while the LISTEN connection is down.
      get pollMs() { return d.listening ? undefined : FALLBACK_POLL_MS; },
    });
  }

  async heartbeat(r: RunnerInfo): Promise<void> {
    await this.d.query(HEARTBEAT, [r.id, JSON.stringify(r), r.heartbeatAt]);
  }

  async runners(): Promise<RunnerInfo[]> {
    const rows = await this.d.rows<{ info: string; heartbeat_at: number }>('SELECT info, heartbeat_at FROM runners ORDER BY id COLLATE "C"');
    return rows.map((r) => ({ ...(JSON.parse(r.info) as RunnerInfo), heartbeatAt: r.heartbeat_at }));
  }

  async removeRunner(id: string): Promise<void> {
    await this.d.query('DELETE FROM runners WHERE id = $1', [id]);
  }

  async close(): Promise<void> {}
}
