import type { Statement } from 'better-sqlite3';
import type { TaskPauses } from '../task-pauses.js';
import type { SqliteDb } from './db.js';

/** Paused tasks in the sqlite file: each pause or resume is one write transaction. */
export class SqliteTaskPauses implements TaskPauses {
  private readonly addStmt: Statement;
  private readonly parkStmt: Statement;
  private readonly unqueueStmt: Statement;
  private readonly delStmt: Statement;
  private readonly unparkStmt: Statement;
  private readonly dropParkedStmt: Statement;

  constructor(private readonly db: SqliteDb) {
    const d = db.db;
    this.addStmt = d.prepare(
      'INSERT OR IGNORE INTO paused_tasks (task_id, paused_at) VALUES (?, ?)',
    );
    this.parkStmt = d.prepare(`INSERT INTO parked_queue (task_id, inv_id, priority, not_before)
      SELECT i.task_id, q.inv_id, q.priority, q.not_before FROM queue q
      JOIN invocations i ON i.id = q.inv_id WHERE i.task_id = ? ORDER BY q.seq`);
    this.unqueueStmt = d.prepare(
      'DELETE FROM queue WHERE inv_id IN (SELECT id FROM invocations WHERE task_id = ?)',
    );
    this.delStmt = d.prepare('DELETE FROM paused_tasks WHERE task_id = ?');
    this.unparkStmt = d.prepare(`INSERT INTO queue (inv_id, priority, not_before)
      SELECT inv_id, priority, not_before FROM parked_queue WHERE task_id = ? ORDER BY seq`);
    this.dropParkedStmt = d.prepare('DELETE FROM parked_queue WHERE task_id = ?');
  }

  async pause(task: string): Promise<number> {
    return this.db.write(() => {
      this.addStmt.run(task, Date.now());
      const n = this.parkStmt.run(task).changes;
      this.unqueueStmt.run(task);
      return n;
    });
  }

  async resume(task: string): Promise<number> {
    const n = this.db.write(() => {
      this.delStmt.run(task);
      const moved = this.unparkStmt.run(task).changes;
      this.dropParkedStmt.run(task);
      return moved;
    });
    // Runners in this process now; others see the commit through PRAGMA data_version.
    this.db.queueWakeup.notify();
    return n;
  }

  async paused(): Promise<string[]> {
    return this.db.read(
      () =>
        this.db.db
          .prepare('SELECT task_id FROM paused_tasks ORDER BY task_id')
          .pluck()
          .all() as string[],
    );
  }

  async parkedCounts(): Promise<Record<string, number>> {
    const rows = this.db.read(
      () =>
        this.db.db
          .prepare(
            `SELECT p.task_id AS t, COUNT(q.seq) AS n FROM paused_tasks p
            LEFT JOIN parked_queue q ON q.task_id = p.task_id GROUP BY p.task_id`,
          )
          .all() as Array<{ t: string; n: number }>,
    );
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  }
}
