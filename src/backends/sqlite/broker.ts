import type { Statement } from 'better-sqlite3';
import type { QueueItem } from '../../core/records.js';
import type { Broker } from '../broker.js';
import { clampPriority } from '../memory/broker.js';
import type { SqliteDb } from './db.js';

/** Queue table; other processes' inserts are seen by polling every sqlite.poll_interval_ms. */
export class SqliteBroker implements Broker {
  private interrupted = false;
  private readonly insertStmt: Statement;
  private readonly claimStmt: Statement;
  private readonly nextDelayedStmt: Statement;
  private readonly changedElsewhere: () => boolean;
  private readonly pausedStmt: Statement;
  private readonly taskOfStmt: Statement;
  private readonly parkStmt: Statement;

  constructor(private readonly db: SqliteDb) {
    this.insertStmt = db.db.prepare(
      'INSERT INTO queue (inv_id, priority, not_before) VALUES (?, ?, ?)',
    );
    this.claimStmt = db.db.prepare(`DELETE FROM queue WHERE seq IN (
      SELECT seq FROM queue WHERE not_before <= ? ORDER BY priority DESC, seq LIMIT ?) RETURNING inv_id, priority, seq`);
    this.nextDelayedStmt = db.db.prepare(
      'SELECT MIN(not_before) AS t FROM queue WHERE not_before > ?',
    );
    this.changedElsewhere = db.changeDetector();
    this.pausedStmt = db.db.prepare('SELECT task_id FROM paused_tasks').pluck();
    this.taskOfStmt = db.db.prepare('SELECT task_id FROM invocations WHERE id = ?').pluck();
    this.parkStmt = db.db.prepare(
      'INSERT INTO parked_queue (task_id, inv_id, priority, not_before) VALUES (?, ?, ?, 0)',
    );
  }

  async route(items: QueueItem[]): Promise<void> {
    this.db.write(() => {
      for (const it of items) {
        this.insertStmt.run(it.id, clampPriority(it.priority), it.notBefore ?? 0);
      }
    });
    this.db.queueWakeup.notify();
  }

  async claim(max: number, waitMs: number): Promise<string[]> {
    return this.claimWith(max, waitMs, (ids) => ids);
  }

  /**
   * Claims like claim() and runs `then` on the claimed ids inside the same write transaction (the
   * fused hot path), returning its result; [] when nothing came within `waitMs`.
   */
  async claimWith<T>(
    max: number,
    waitMs: number,
    then: (ids: string[], now: number) => T[],
  ): Promise<T[]> {
    this.interrupted = false;
    const deadline = Date.now() + waitMs;
    let query = true;
    for (;;) {
      const now = Date.now();
      if (query) {
        const { out, claimed } = this.db.write(() => this.claimInTx(max, now, then));
        if (out.length) {
          return out;
        }
        // Rows came but none survived `then` (duplicates, or blocked by concurrency): look again now.
        if (claimed > 0 && !this.interrupted && Date.now() < deadline) {
          continue;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.interrupted) {
        return [];
      }
      const next = (this.db.read(() => this.nextDelayedStmt.get(now)) as { t: number | null }).t;
      const untilDelayed = next === null ? Infinity : Math.max(1, next - now);
      const woken = await this.db.queueWakeup.wait(
        Math.min(left, this.db.pollIntervalMs, untilDelayed),
      );
      // Re-query only when something may have arrived: a wake-up here, a commit elsewhere, a delay due.
      query = woken || this.changedElsewhere() || (next !== null && Date.now() >= next);
    }
  }

  /** One claim inside the caller's write transaction: takes up to `max` ready rows, in queue order, and runs `then` on them. */
  claimInTx<T>(
    max: number,
    now: number,
    then: (ids: string[], now: number) => T[],
  ): { out: T[]; claimed: number } {
    const rows = this.claimStmt.all(now, max) as Array<{
      inv_id: string;
      priority: number;
      seq: number;
    }>;
    if (!rows.length) {
      return { out: [], claimed: 0 };
    }
    rows.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    const ids = this.parkPaused(rows);
    return { out: ids.length ? then(ids, now) : [], claimed: rows.length };
  }

  /**
   * In the claim's transaction: entries of a paused task (routed after its pause) go to its parked
   * store instead of a runner. One read of the (usually empty) paused set per claim.
   */
  private parkPaused(rows: Array<{ inv_id: string; priority: number }>): string[] {
    const paused = this.pausedStmt.all() as string[];
    if (!paused.length) {
      return rows.map((r) => r.inv_id);
    }
    const set = new Set(paused);
    return rows.flatMap((r) => {
      const task = this.taskOfStmt.get(r.inv_id) as string | undefined;
      if (task === undefined || !set.has(task)) {
        return [r.inv_id];
      }
      this.parkStmt.run(task, r.inv_id, r.priority);
      return [];
    });
  }

  async queued(ids: string[]): Promise<Set<string>> {
    // One read of the queue (it has no index on inv_id); only recovery in a composed setup asks.
    const all = new Set(
      this.db.read(() =>
        this.db.db
          .prepare('SELECT inv_id FROM queue UNION ALL SELECT inv_id FROM parked_queue')
          .pluck()
          .all(),
      ) as string[],
    );
    return new Set(ids.filter((id) => all.has(id)));
  }

  async count(): Promise<number> {
    return (
      this.db.read(() =>
        this.db.db
          .prepare('SELECT (SELECT COUNT(*) FROM queue) + (SELECT COUNT(*) FROM parked_queue) AS n')
          .get(),
      ) as {
        n: number;
      }
    ).n;
  }

  async purge(): Promise<void> {
    this.db.write(() => {
      this.db.db.prepare('DELETE FROM queue').run();
      this.db.db.prepare('DELETE FROM parked_queue').run();
    });
  }

  interrupt(): void {
    this.interrupted = true;
    this.db.queueWakeup.notify();
  }

  async close(): Promise<void> {
    this.interrupt();
  }
}
