import { randomUUID } from 'node:crypto';
import type { QueueItem } from '../../core/records.js';
import type { Broker } from '../broker.js';
import { clampPriority } from '../memory/broker.js';
import { isConnectionError } from './connection.js';
import { FALLBACK_POLL_MS, stmt, type PgDb } from './db.js';
import { QueueVacuum } from './queue-vacuum.js';

export const ROUTE = stmt(
  'route',
  `WITH ins AS (
    INSERT INTO queue (inv_id, priority, not_before)
    SELECT u.id, u.priority, u.not_before FROM unnest($1::text[], $2::smallint[], $3::bigint[]) WITH ORDINALITY AS u(id, priority, not_before, ord)
    ORDER BY u.ord)
  SELECT pg_notify($4, queue_wake(cardinality($1::text[])))`,
  { wakesQueue: true },
);
// Deletes this broker's delivered claims ($4), puts back those never delivered ($6: the claim gave
// up on a lost connection), marks up to $2 ready rows with token $3 (SKIP LOCKED: concurrent
// claimers take disjoint rows without waiting on each other) and returns them. The marked rows are
// found again by ctid (a TID scan of rows this statement holds locked): the queue has no key index
// to keep up at each insert and each claim. When nothing is
// ready, one row with inv_id NULL says when to look again: the next delayed item, or the next
// claim lease to run out.
export const CLAIM = stmt(
  'claim',
  `WITH done AS (DELETE FROM queue WHERE claimed_by = ANY($4::text[])),
  back AS (UPDATE queue SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by = ANY($6::text[])),
  c AS (
    SELECT ctid FROM queue WHERE not_before <= $1 AND (claimed_by IS NULL OR (claimed_at < $5 AND NOT (claimed_by = ANY($4::text[] || $6::text[]))))
    ORDER BY priority DESC, seq LIMIT $2 FOR UPDATE SKIP LOCKED),
  u AS (UPDATE queue q SET claimed_by = $3, claimed_at = $1 WHERE q.ctid = ANY(ARRAY(SELECT ctid FROM c)) RETURNING q.inv_id, q.priority, q.seq)
  SELECT inv_id, priority, seq, NULL::bigint AS next FROM u
  UNION ALL
  SELECT NULL, NULL, NULL, least(
    (SELECT min(not_before) FROM queue WHERE not_before > $1 AND not_before > 0 AND claimed_by IS NULL),
    (SELECT min(claimed_at) FROM queue WHERE claimed_by IS NOT NULL) + ($1 - $5))
  WHERE NOT EXISTS (SELECT 1 FROM u)`,
);
export const RECLAIM = stmt(
  'reclaim',
  'SELECT inv_id, priority, seq, NULL::bigint AS next FROM queue WHERE claimed_by = ANY($1::text[])',
);
/** A claimed row not deleted by then is handed out again (its claimer died between claim and acquire). */
const CLAIM_LEASE_MS = 60_000;
/** Claims made before this are past their lease. */
export const leaseCutoff = (now: number): number => now - CLAIM_LEASE_MS;
/** The last `now` a claim try of this process used: each try's is later (see claimVia). */
let lastTryAt = 0;

export type ClaimRow = {
  inv_id: string | null;
  priority: number;
  seq: number;
  next: number | null;
};

/**
 * One claim statement's parameters: its token, and the earlier claims to finish (`done`: delivered)
 * or to put back (`back`: given up on a lost connection, so they may or may not have committed;
 * `backAt`: their `now`s, in the same order). `now` is unique per try within a process.
 */
export interface ClaimTry {
  now: number;
  max: number;
  token: string;
  done: string[];
  back: string[];
  backAt: number[];
}
/**
 * What one claim try found: items handed out, or (nothing ready) when to look again. `drained`:
 * it took every ready item there was (fewer than asked), so the queue is empty after it too.
 */
export type ClaimStep<T> =
  { items: T[]; drained?: { next: number | null } } | { next: number | null };

/** CLAIM's parameters for a try. */
export const claimValues = (t: ClaimTry): unknown[] => [
  t.now,
  t.max,
  t.token,
  t.done,
  leaseCutoff(t.now),
  t.back,
];

/** Claimed ids in hand-out order (highest priority first, then oldest); null: nothing was ready. */
export function claimedIds(rows: ClaimRow[]): { ids: string[] } | { next: number | null } {
  if (rows[0]?.inv_id === null) {
    return { next: rows[0].next };
  }
  return {
    ids: rows
      .slice()
      .sort((a, b) => b.priority - a.priority || a.seq - b.seq)
      .map((r) => r.inv_id!),
  };
}

/** ROUTE's parameters. */
export const routeValues = (items: QueueItem[], channel: string): unknown[] => [
  items.map((i) => i.id),
  items.map((i) => clampPriority(i.priority)),
  items.map((i) => i.notBefore ?? 0),
  channel,
];

/**
 * The queue table, at-least-once: a delivered id may come again (a lost answer, a dead claimer);
 * the orchestrator's acquire drops ids no longer waiting. A claim that finds nothing remembers it
 * and waits for a NOTIFY (or the next delayed item or lease expiry) instead of querying again;
 * only while the LISTEN connection is down does it poll.
 */
export class PgBroker implements Broker {
  private interrupted = false;
  /** The queue was empty at this `queueGen` and time `at`, with the next delayed item due at `next`. */
  private empty: { gen: number; at: number; next: number | null } | null = null;
  /** Tokens of delivered claims, whose rows the next claim deletes. */
  private delivered: string[] = [];
  /** Claims that gave up on a lost connection (they may have committed): put back next time. */
  private undelivered: Array<{ token: string; at: number }> = [];

  private readonly vacuum: QueueVacuum;

  constructor(private readonly db: PgDb) {
    this.vacuum = new QueueVacuum((sql) => db.once(sql), db.log);
  }

  async route(items: QueueItem[]): Promise<void> {
    if (!items.length) {
      return;
    }
    await this.db.query(ROUTE, routeValues(items, this.db.channel));
  }

  /** False only when nothing can have arrived since the queue was last seen empty. */
  mayHaveWork(now: number): boolean {
    const e = this.empty;
    return !e || !this.db.listening || e.gen !== this.db.queueGen || now >= this.lookAgainAt();
  }

  /**
   * When a queue seen empty is worth a look with no wake-up: its next delayed item, or the idle
   * recheck (a wake-up may have named a process that died before it claimed: claim-waiters.ts).
   */
  private lookAgainAt(): number {
    const e = this.empty;
    return e ? Math.min(e.next ?? Infinity, e.at + this.db.idleRecheckMs) : Infinity;
  }

  async claim(max: number, waitMs: number): Promise<string[]> {
    return this.claimVia(max, waitMs, (t, until) =>
      this.db.retry(
        'claim',
        async (attempt): Promise<ClaimStep<string>> => {
          // The earlier attempt may have committed before its connection dropped: read its rows back.
          if (attempt > 0) {
            const got = (await this.db.once<ClaimRow>(RECLAIM, [[t.token]])).rows;
            if (got.length) {
              return { items: (claimedIds(got) as { ids: string[] }).ids };
            }
          }
          const found = claimedIds((await this.db.once<ClaimRow>(CLAIM, claimValues(t))).rows);
          return 'ids' in found ? { items: found.ids } : found;
        },
        until,
      ),
    );
  }

  /**
   * The claim loop, with `run` doing one try (a CLAIM statement with the given token, alone or in a
   * transaction that also starts what it claimed). Keeps the token bookkeeping: delivered claims
   * are deleted by the next try, those given up on a lost connection are put back. Waits for a
   * NOTIFY (or the next delayed item or lease expiry) while the queue is empty.
   */
  async claimVia<T>(
    max: number,
    waitMs: number,
    run: (t: ClaimTry, until: number) => Promise<ClaimStep<T>>,
  ): Promise<T[]> {
    this.interrupted = false;
    this.db.claimers++;
    try {
      return await this.claimLoop(max, waitMs, run);
    } finally {
      this.db.claimers--;
    }
  }

  private async claimLoop<T>(
    max: number,
    waitMs: number,
    run: (t: ClaimTry, until: number) => Promise<ClaimStep<T>>,
  ): Promise<T[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      if (this.mayHaveWork(now)) {
        const gen = this.db.queueGen;
        // Strictly later than any earlier try here: what a try started is found again by runner and
        // `now` after a lost answer (hot-path.ts), so two tries must never share one.
        lastTryAt = Math.max(now, lastTryAt + 1);
        // The try takes the earlier claims to finish for itself: concurrent tries of this broker
        // must not delete or put back the same rows, or their row locks can wait on each other
        // (a deadlock: one of them fails after deadlock_timeout).
        const undelivered = this.undelivered;
        const t: ClaimTry = {
          now: lastTryAt,
          max,
          token: randomUUID(),
          done: this.delivered,
          back: undelivered.map((u) => u.token),
          backAt: undelivered.map((u) => u.at),
        };
        this.delivered = [];
        this.undelivered = [];
        let step: ClaimStep<T>;
        try {
          step = await run(t, Math.max(deadline, now + 1000));
          // Rows put back are claimable from the next statement on.
          if (t.back.length) {
            this.db.queueChanged();
          }
        } catch (err) {
          // Not done: the next try finishes them.
          this.delivered.push(...t.done);
          this.undelivered.push(...undelivered);
          // Server away: nothing to hand out now; the runner's next claim tries again (it keeps going).
          if (isConnectionError(err)) {
            this.undelivered.push({ token: t.token, at: t.now });
            return [];
          }
          throw err;
        }
        if ('next' in step) {
          this.empty = { gen, at: now, next: step.next };
          this.vacuum.taken(0, true);
        } else {
          // Taking every ready item leaves the queue as empty as finding none: the next claim
          // waits for a wake-up, and a runner's outcomes are written on their own meanwhile.
          this.empty = step.drained ? { gen, at: now, next: step.drained.next } : null;
          this.delivered.push(t.token);
          this.vacuum.taken(step.items.length, step.drained !== undefined);
          return step.items;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.interrupted) {
        return [];
      }
      // A wake-up that came while we queried must not be slept through.
      if (this.db.listening && this.mayHaveWork(Date.now())) {
        continue;
      }
      await this.db.queueWakeup.wait(
        Math.min(
          left,
          Math.max(1, this.lookAgainAt() - Date.now()),
          this.db.listening ? Infinity : FALLBACK_POLL_MS,
        ),
      );
    }
  }

  async queued(ids: string[]): Promise<Set<string>> {
    const rows = await this.db.rows<{ inv_id: string }>(
      `SELECT inv_id FROM queue WHERE inv_id = ANY($1::text[])
      UNION SELECT inv_id FROM parked_queue WHERE inv_id = ANY($1::text[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.inv_id));
  }

  async count(): Promise<number> {
    return (
      await this.db.rows<{ n: number }>(
        `SELECT ((SELECT count(*) FROM queue WHERE claimed_by IS NULL)
          + (SELECT count(*) FROM parked_queue))::int AS n`,
      )
    )[0]!.n;
  }

  async purge(): Promise<void> {
    await this.db.query('DELETE FROM queue');
    await this.db.query('DELETE FROM parked_queue');
    this.empty = null;
  }

  interrupt(): void {
    this.interrupted = true;
    this.db.queueWakeup.notify();
  }

  async close(): Promise<void> {
    this.interrupt();
    // Tidy up the last delivered claim; one try only (a later claim or the lease handles a failure).
    if (this.delivered.length) {
      await this.db
        .once('DELETE FROM queue WHERE claimed_by = ANY($1::text[])', [this.delivered])
        .catch(() => {});
    }
    this.delivered = [];
  }
}
