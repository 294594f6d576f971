import type { QueueItem } from '../../core/records.js';
import type { Broker } from '../broker.js';
import { clampPriority } from '../memory/broker.js';
import { FALLBACK_POLL_MS, stmt, type PgDb } from './db.js';

const ROUTE = stmt('route', `WITH ins AS (
    INSERT INTO queue (inv_id, priority, not_before)
    SELECT u.id, u.priority, u.not_before FROM unnest($1::text[], $2::smallint[], $3::bigint[]) WITH ORDINALITY AS u(id, priority, not_before, ord)
    ORDER BY u.ord)
  SELECT pg_notify($4, 'q')`);
// SKIP LOCKED: concurrent claimers take disjoint rows without waiting on each other.
// When nothing is ready, one row with inv_id NULL says when the next delayed item is due.
const CLAIM = stmt('claim', `WITH c AS (
    SELECT seq FROM queue WHERE not_before <= $1 ORDER BY priority DESC, seq LIMIT $2 FOR UPDATE SKIP LOCKED),
  d AS (DELETE FROM queue q USING c WHERE q.seq = c.seq RETURNING q.inv_id, q.priority, q.seq)
  SELECT inv_id, priority, seq, NULL::bigint AS next FROM d
  UNION ALL
  SELECT NULL, NULL, NULL, (SELECT min(not_before) FROM queue WHERE not_before > $1 AND not_before > 0)
  WHERE NOT EXISTS (SELECT 1 FROM d)`);

/**
 * The queue table. A claim that finds nothing remembers it and waits for a NOTIFY (or the next
 * delayed item) instead of querying again; only while the LISTEN connection is down does it poll.
 */
export class PgBroker implements Broker {
  private interrupted = false;
  /** The queue was empty at this `queueGen`, with the next delayed item due at `next`. */
  private empty: { gen: number; next: number | null } | null = null;

  constructor(private readonly d: PgDb) {}

  async route(items: QueueItem[]): Promise<void> {
    if (!items.length) return;
    await this.d.query(ROUTE, [items.map((i) => i.id), items.map((i) => clampPriority(i.priority)), items.map((i) => i.notBefore ?? 0), this.d.channel]);
    this.d.queueChanged();
  }

  /** False only when nothing can have arrived since the queue was last seen empty. */
  private mayHaveWork(now: number): boolean {
    const e = this.empty;
    return !e || !this.d.listening || e.gen !== this.d.queueGen || (e.next !== null && now >= e.next);
  }

  async claim(max: number, waitMs: number): Promise<string[]> {
    this.interrupted = false;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      if (this.mayHaveWork(now)) {
        const gen = this.d.queueGen;
        const rows = await this.d.rows<{ inv_id: string | null; priority: number; seq: number; next: number | null }>(CLAIM, [now, max]);
        if (rows[0]?.inv_id === null) {
          this.empty = { gen, next: rows[0].next };
        } else {
          this.empty = null;
          rows.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
          return rows.map((r) => r.inv_id!);
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.interrupted) return [];
      // A wake-up that came while we queried must not be slept through.
      if (this.d.listening && this.mayHaveWork(Date.now())) continue;
      const next = this.empty?.next ?? null;
      const untilDelayed = next === null ? Infinity : Math.max(1, next - Date.now());
      await this.d.queueWakeup.wait(Math.min(left, untilDelayed, this.d.listening ? Infinity : FALLBACK_POLL_MS));
    }
  }

  async count(): Promise<number> {
    return (await this.d.rows<{ n: number }>('SELECT count(*)::int AS n FROM queue'))[0]!.n;
  }

  async purge(): Promise<void> {
    await this.d.query('DELETE FROM queue');
    this.empty = null;
  }

  interrupt(): void {
    this.interrupted = true;
    this.d.queueWakeup.notify();
  }

  async close(): Promise<void> { this.interrupt(); }
}
