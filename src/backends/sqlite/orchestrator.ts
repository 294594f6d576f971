import type { Statement } from 'better-sqlite3';
import { InvocationNotFoundError } from '../../core/errors.js';
import { FINAL_STATUSES, isFinal, QUEUED_STATUSES, type Status } from '../../core/status.js';
import type {
  AcquireResult,
  ConcurrencyControl,
  InvocationRecord,
  QueueItem,
  TransitionRequest,
} from '../../core/records.js';
import { ACTIVE_STATUSES } from '../../orchestration/concurrency.js';
import { planAcquire, type ScopeWindow } from '../../orchestration/acquire-planner.js';
import {
  ACQUIRABLE,
  applyPath,
  applyTransition,
  isRepeated,
} from '../../orchestration/apply-transition.js';
import type { Orchestrator, PurgeScope } from '../orchestrator.js';
import { PURGE_CHUNK } from '../common/purge-scope.js';
import type { SqliteDb } from './db.js';
import { LEASE_SQL, sqlList } from '../common/sql-dialect.js';
import { toRecord, type InvocationRow } from './rows.js';

const TO_PENDING: readonly Status[] = ['PENDING'];
const TO_RUNNING: readonly Status[] = ['PENDING', 'RUNNING'];
const FINAL_LIST = sqlList(FINAL_STATUSES);
const ACTIVE_LIST = sqlList(ACTIVE_STATUSES);
export const QUEUED_LIST = sqlList(QUEUED_STATUSES);

/** Validates in JS inside one BEGIN IMMEDIATE transaction: atomic across processes. */
export class SqliteOrchestrator implements Orchestrator {
  private readonly getStmt: Statement;
  private readonly updateStmt: Statement;
  private readonly histStmt: Statement;
  private readonly activeStmt: Statement;
  private readonly startsStmt: Statement;
  private readonly addStartStmt: Statement;
  private readonly pruneStartsStmt: Statement;

  constructor(private readonly db: SqliteDb) {
    this.getStmt = db.db.prepare('SELECT * FROM invocations WHERE id = ?');
    this.updateStmt = db.db.prepare(
      'UPDATE invocations SET status = ?, owner = ?, attempt = ?, result = ?, error = ?, updated_at = ? WHERE id = ?',
    );
    this.histStmt = db.db.prepare(
      'INSERT INTO history (inv_id, status, runner_id, at) VALUES (?, ?, ?, ?)',
    );
    this.activeStmt = db.db
      .prepare(
        `SELECT COUNT(*) FROM invocations WHERE running_key = ? AND status IN (${ACTIVE_LIST})`,
      )
      .pluck();
    this.startsStmt = db.db.prepare(
      'SELECT at, invocation_id AS id FROM rate_starts WHERE key = ?',
    );
    this.addStartStmt = db.db.prepare(
      'INSERT INTO rate_starts (key, at, invocation_id) VALUES (?, ?, ?)',
    );
    this.pruneStartsStmt = db.db.prepare(
      'DELETE FROM rate_starts WHERE key = ? AND (at <= ? OR invocation_id = ?)',
    );
  }

  /** Must run inside a write transaction. */
  applyInTx(req: TransitionRequest, now: number, rec?: InvocationRecord): InvocationRecord {
    const current = rec ?? this.load(req.id);
    if (isRepeated(current, req)) {
      return current;
    }
    const { record: r, entries } = applyPath(current, req, now);
    this.updateStmt.run(r.status, r.owner, r.attempt, r.result, r.error, r.updatedAt, r.id);
    for (const entry of entries) {
      this.histStmt.run(r.id, entry.status, entry.runnerId, entry.at);
    }
    return r;
  }

  /** Must run inside a write transaction: several moves of one invocation, one row update. */
  applyStepsInTx(
    rec: InvocationRecord,
    tos: readonly Status[],
    runnerId: string,
    now: number,
  ): InvocationRecord {
    let r = rec;
    for (const to of tos) {
      const step = applyTransition(r, { id: r.id, to, runnerId }, now);
      r = step.record;
      this.histStmt.run(r.id, step.entry.status, step.entry.runnerId, step.entry.at);
    }
    this.updateStmt.run(r.status, r.owner, r.attempt, r.result, r.error, r.updatedAt, r.id);
    return r;
  }

  /** Must run inside a write transaction: each request alone, an illegal one answered with its error. */
  applyManyInTx(reqs: TransitionRequest[], now: number): Array<InvocationRecord | Error> {
    return reqs.map((req) => {
      try {
        return this.applyInTx(req, now);
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('SQLITE_')) {
          throw err;
        }
        return err as Error;
      }
    });
  }

  private load(id: string): InvocationRecord {
    const row = this.getStmt.get(id) as InvocationRow | undefined;
    if (!row) {
      throw new InvocationNotFoundError(id);
    }
    return toRecord(row);
  }

  async transition(req: TransitionRequest, now: number): Promise<InvocationRecord> {
    const rec = this.db.write(() => this.applyInTx(req, now));
    if (isFinal(rec.status)) {
      this.db.finals.publish([rec]);
    }
    return rec;
  }

  async transitionMany(
    reqs: TransitionRequest[],
    now: number,
  ): Promise<Array<InvocationRecord | Error>> {
    const out = this.db.write(() => this.applyManyInTx(reqs, now));
    this.db.finals.publish(
      out.filter((r): r is InvocationRecord => !(r instanceof Error) && isFinal(r.status)),
    );
    return out;
  }

  async acquire(ids: string[], runnerId: string, now: number): Promise<AcquireResult> {
    const res = this.db.write(() => this.acquireRows(ids, runnerId, now));
    this.db.finals.publish(res.finals);
    return { acquired: res.acquired, requeue: res.requeue };
  }

  /**
   * Must run inside a write transaction: the concurrency counts and the moves are one step. With
   * `start`, acquired ones go on to RUNNING in the same row update (the hot path).
   */
  acquireRows(
    ids: string[],
    runnerId: string,
    now: number,
    start = false,
  ): AcquireResult & { finals: InvocationRecord[] } {
    const acquired: InvocationRecord[] = [];
    const requeue: QueueItem[] = [];
    const finals: InvocationRecord[] = [];
    const scopes = new Map<string, ScopeWindow>();
    for (const id of ids) {
      const row = this.getStmt.get(id) as InvocationRow | undefined;
      if (!row || !ACQUIRABLE.has(row.status as InvocationRecord['status'])) {
        continue;
      }
      let rec = toRecord(row);
      const cc = rec.concurrency;
      const plan = planAcquire(rec, cc ? this.scope(scopes, cc) : undefined, now);
      if (plan.kind === 'blocked') {
        for (const to of plan.path) {
          rec = this.applyInTx({ id, to, runnerId }, now, rec);
        }
        if (plan.requeue) {
          requeue.push(plan.requeue);
        } else {
          finals.push(rec);
        }
        if (plan.reserve) {
          this.addStartStmt.run(plan.reserve.key, plan.reserve.at, id);
        }
        continue;
      }
      if (plan.rate) {
        // Drops what left the window and this invocation's reservation, which becomes its start.
        this.pruneStartsStmt.run(plan.rate.key, plan.rate.windowStart, id);
        this.addStartStmt.run(plan.rate.key, plan.rate.startAt, null);
      }
      acquired.push(this.applyStepsInTx(rec, start ? TO_RUNNING : TO_PENDING, runnerId, now));
    }
    return { acquired, requeue, finals };
  }

  /** The window of `cc`'s scope, read once per batch (the plans keep it current after that). */
  private scope(scopes: Map<string, ScopeWindow>, cc: ConcurrencyControl): ScopeWindow {
    let scope = scopes.get(cc.key);
    if (!scope) {
      // Every mark of the scope (pruned at each start): invocations of one scope may differ in window.
      const marks =
        cc.rateCount === undefined
          ? []
          : (this.startsStmt.all(cc.key) as Array<{ at: number; id: string | null }>);
      scope = {
        active: this.activeStmt.get(cc.key) as number,
        marks: marks.map((m) => ({ at: m.at, holder: m.id })),
      };
      scopes.set(cc.key, scope);
    }
    return scope;
  }

  async ownedByOthers(live: string[], statuses: string[]): Promise<InvocationRecord[]> {
    const sql = `SELECT * FROM invocations WHERE owner IS NOT NULL AND status IN (${statuses.map(() => '?').join(',')})
      ${live.length ? `AND owner NOT IN (${live.map(() => '?').join(',')})` : ''}`;
    return (
      this.db.read(() => this.db.db.prepare(sql).all(...statuses, ...live)) as InvocationRow[]
    ).map(toRecord);
  }

  async ownedBy(runnerId: string, statuses: string[]): Promise<InvocationRecord[]> {
    const sql = `SELECT * FROM invocations WHERE owner = ? AND status IN (${statuses.map(() => '?').join(',')})`;
    return (
      this.db.read(() => this.db.db.prepare(sql).all(runnerId, ...statuses)) as InvocationRow[]
    ).map(toRecord);
  }

  async staleIn(status: string, before: number): Promise<InvocationRecord[]> {
    return (
      this.db.read(() =>
        this.db.db
          .prepare('SELECT * FROM invocations WHERE status = ? AND updated_at < ?')
          .all(status, before),
      ) as InvocationRow[]
    ).map(toRecord);
  }

  async claimStranded(ids: string[], before: number, now: number): Promise<InvocationRecord[]> {
    if (!ids.length) {
      return [];
    }
    return (
      this.db.write(() =>
        this.db.db
          .prepare(
            `UPDATE invocations SET updated_at = ? WHERE id IN (${ids.map(() => '?').join(',')})
            AND status IN (${QUEUED_LIST}) AND updated_at < ? RETURNING *`,
          )
          .all(now, ...ids, before),
      ) as InvocationRow[]
    ).map(toRecord);
  }

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const res = this.db.write(() =>
      this.db.db.prepare(LEASE_SQL).run(name, holder, now + ttlMs, now),
    );
    return res.changes > 0;
  }

  async purge(before: number, scope?: PurgeScope): Promise<number> {
    const limit = scope?.limit ?? PURGE_CHUNK;
    if (scope?.taskIds?.length === 0) {
      return 0; // no task in scope
    }
    const tasks = scope?.taskIds ?? [];
    const except = scope?.exceptTaskIds ?? [];
    const marks = (xs: string[]) => xs.map(() => '?').join(',');
    // One bounded batch per call: the ids first (a parent that is not final may still read its
    // child's result), then their history, logs and rows, all in one write transaction.
    const pick = `SELECT i.id FROM invocations i WHERE i.status IN (${FINAL_LIST}) AND i.updated_at < ?
      ${tasks.length ? `AND i.task_id IN (${marks(tasks)})` : ''}
      ${except.length ? `AND i.task_id NOT IN (${marks(except)})` : ''}
      AND (i.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM invocations p
        WHERE p.id = i.parent_id AND p.status NOT IN (${FINAL_LIST})))
      LIMIT ?`;
    let total = 0;
    for (;;) {
      const n = this.db.write(() => {
        const ids = this.db.db
          .prepare(pick)
          .pluck()
          .all(before, ...tasks, ...except, limit) as string[];
        if (!ids.length) {
          return 0;
        }
        const list = JSON.stringify(ids);
        const these = 'IN (SELECT value FROM json_each(?))';
        this.db.db.prepare(`DELETE FROM history WHERE inv_id ${these}`).run(list);
        this.db.db.prepare(`DELETE FROM logs WHERE inv_id ${these}`).run(list);
        this.db.db.prepare(`DELETE FROM invocation_extras WHERE inv_id ${these}`).run(list);
        return this.db.db.prepare(`DELETE FROM invocations WHERE id ${these}`).run(list).changes;
      });
      total += n;
      if (scope?.limit !== undefined || n < limit) {
        return total;
      }
    }
  }
}
