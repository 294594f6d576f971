import type { TaskPauses } from '../task-pauses.js';
import { NOTIFY_QUEUE, stmt, type PgDb } from './db.js';

// The lock the queue trigger (migration 008) takes shared: a pause waits for inserts in flight.
const LOCK_PAUSES = stmt(
  'lock_pauses',
  `SELECT pg_advisory_xact_lock(hashtext('taskapp.pause.' || current_schema()))`,
);
const ADD = stmt(
  'pause_add',
  'INSERT INTO paused_tasks (task_id, paused_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
);
// Claimed rows too: a claim not yet started finds no row (LOCK_CLAIMED, CLAIM_START) and starts nothing.
const PARK = stmt(
  'pause_park',
  `WITH moved AS (
    DELETE FROM queue q USING invocations i WHERE i.id = q.inv_id AND i.task_id = $1
    RETURNING q.inv_id, q.priority, q.not_before, q.seq)
  INSERT INTO parked_queue (task_id, inv_id, priority, not_before)
  SELECT $1, inv_id, priority, not_before FROM moved ORDER BY seq`,
);
const DEL = stmt('resume_del', 'DELETE FROM paused_tasks WHERE task_id = $1');
const UNPARK = stmt(
  'resume_unpark',
  `WITH moved AS (DELETE FROM parked_queue WHERE task_id = $1 RETURNING inv_id, priority, not_before, seq)
  INSERT INTO queue (inv_id, priority, not_before)
  SELECT inv_id, priority, not_before FROM moved ORDER BY seq`,
);

/** Paused tasks in PostgreSQL: each pause or resume is one transaction. */
export class PgTaskPauses implements TaskPauses {
  constructor(private readonly db: PgDb) {}

  async pause(task: string): Promise<number> {
    return this.db.tx(async (c) => {
      await c.query(LOCK_PAUSES);
      await c.query(ADD, [task, Date.now()]);
      return (await c.query(PARK, [task])).rowCount ?? 0;
    });
  }

  async resume(task: string): Promise<number> {
    return this.db.tx(async (c) => {
      await c.query(DEL, [task]);
      const n = (await c.query(UNPARK, [task])).rowCount ?? 0;
      // Runners on every host wake on the schema's channel, as after an enqueue.
      await c.query(NOTIFY_QUEUE, [this.db.channel]);
      return n;
    });
  }

  async paused(): Promise<string[]> {
    const rows = await this.db.rows<{ task_id: string }>(
      'SELECT task_id FROM paused_tasks ORDER BY task_id',
    );
    return rows.map((r) => r.task_id);
  }

  async parkedCounts(): Promise<Record<string, number>> {
    const rows = await this.db.rows<{ t: string; n: number }>(
      `SELECT p.task_id AS t, count(q.seq)::int AS n FROM paused_tasks p
      LEFT JOIN parked_queue q ON q.task_id = p.task_id GROUP BY p.task_id`,
    );
    return Object.fromEntries(rows.map((r) => [r.t, r.n]));
  }
}
