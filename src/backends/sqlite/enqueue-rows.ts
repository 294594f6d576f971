/**
 * What an enqueue writes on sqlite, prepared on one database handle: the invocation REGISTERED, its
 * first history entry (insert), and its queue entry (route). The state backend and the hot path use
 * it on taskapp's own handle; the transactional enqueue (tx-enqueue.ts) on the caller's handle to
 * the same file, inside the caller's open transaction.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { NewInvocation } from '../../core/records.js';
import { clampPriority } from '../memory/broker.js';

export class EnqueueRows {
  private readonly insertInv: Statement;
  private readonly insertHist: Statement;
  private readonly findRegistered: Statement;
  private readonly insertQueue: Statement;
  private readonly exists: Statement;

  constructor(db: Database) {
    this.insertInv =
      db.prepare(`INSERT INTO invocations (id, task_id, args, status, owner, attempt, priority, parent_id, workflow_id, created_at, updated_at, reg_key, running_key, concurrency, call_options)
      VALUES (?, ?, ?, 'REGISTERED', NULL, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.findRegistered = db
      .prepare(`SELECT id FROM invocations WHERE reg_key = ? AND status = 'REGISTERED' LIMIT 1`)
      .pluck();
    this.insertHist = db.prepare(
      'INSERT INTO history (inv_id, status, runner_id, at) VALUES (?, ?, ?, ?)',
    );
    this.insertQueue = db.prepare(
      'INSERT INTO queue (inv_id, priority, not_before) VALUES (?, ?, ?)',
    );
    this.exists = db.prepare('SELECT 1 FROM invocations WHERE id = ?').pluck();
  }

  /**
   * Inside a write transaction (so a registration-key match cannot race): stores each invocation
   * unless its key matches a REGISTERED one (then that one's id), or, with `skipExisting`, unless
   * its id is stored already (then its id, reused). An existing id otherwise fails the insert.
   */
  insert(
    invs: NewInvocation[],
    now: number,
    skipExisting = false,
  ): Array<{ id: string; reused: boolean }> {
    return invs.map((i) => {
      if (i.registrationKey) {
        const existing = this.findRegistered.get(i.registrationKey) as string | undefined;
        if (existing) {
          return { id: existing, reused: true };
        }
      }
      if (skipExisting && this.exists.get(i.id)) {
        return { id: i.id, reused: true };
      }
      this.insertInv.run(
        i.id,
        i.taskId,
        i.args,
        i.priority,
        i.parentId,
        i.workflowId,
        now,
        now,
        i.registrationKey ?? null,
        i.concurrency?.key ?? null,
        i.concurrency ? JSON.stringify(i.concurrency) : null,
        i.callOptions ? JSON.stringify(i.callOptions) : null,
      );
      this.insertHist.run(i.id, 'REGISTERED', null, now);
      return { id: i.id, reused: false };
    });
  }

  /** A queue entry (claimable from `notBefore`, 0: at once). */
  route(id: string, priority: number, notBefore: number): void {
    this.insertQueue.run(id, clampPriority(priority), notBefore);
  }

  /** insert, then a queue entry for each stored one: the whole enqueue. */
  enqueue(
    invs: NewInvocation[],
    now: number,
    notBefore: number,
    skipExisting = false,
  ): Array<{ id: string; reused: boolean }> {
    const out = this.insert(invs, now, skipExisting);
    invs.forEach((inv, k) => {
      if (!out[k]!.reused) {
        this.route(inv.id, inv.priority, notBefore);
      }
    });
    return out;
  }
}
