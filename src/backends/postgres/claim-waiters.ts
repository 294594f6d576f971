/**
 * Wake one idle claimer per single enqueue (migration 019). This process's LISTEN session keeps a
 * row in claim_waiters and holds the advisory lock that says it is alive; a claim that leaves the
 * queue empty marks the row waiting (CLAIM_START), and a single new ready item's NOTIFY names the
 * listener to wake (`q` + its key) instead of waking every claimer of every process.
 *
 * What a named wake can miss, and what covers it: a process that dies (or stops claiming) just
 * after a wake named it. Its claimers gone, the item waits for another claimer's periodic look
 * (IDLE_RECHECK_MS), and a wake that reaches a process with no claimer left is passed on to all.
 */
import { randomInt } from 'node:crypto';
import type pg from 'pg';

/** How often an idle claimer looks at the queue again with no wake-up (see above). */
export const IDLE_RECHECK_MS = 5000;

// Rows of listeners whose session is gone (their lock is free): the try takes it for this statement only.
const DROP_DEAD = `DELETE FROM claim_waiters w
  WHERE pg_try_advisory_xact_lock(hashtext(current_schema()), w.listener)`;
const TAKE_KEY = `SELECT pg_try_advisory_lock(hashtext(current_schema()), $1) AS ok`;
const ADD_ROW = `INSERT INTO claim_waiters (listener) VALUES ($1)
  ON CONFLICT (listener) DO UPDATE SET since = NULL`;
/** Named with nothing here to claim: not waiting any more, and the wake-up goes to every claimer. */
export const STOP_WAITING = `WITH w AS (UPDATE claim_waiters SET since = NULL WHERE listener = $1)
  SELECT pg_notify($2, 'q')`;
const REMOVE_ROW = `WITH w AS (DELETE FROM claim_waiters WHERE listener = $1 RETURNING since)
  SELECT pg_notify($2, 'q') FROM w WHERE since IS NOT NULL`;

export class ClaimWaiter {
  /** This listener's key while its session holds the lock; null while not listening. */
  key: number | null = null;

  /** On the LISTEN connection, before LISTEN: forget dead listeners, lock a key, add a row not waiting. */
  async register(c: pg.Client): Promise<void> {
    this.key = null;
    await c.query(DROP_DEAD);
    for (;;) {
      const key = randomInt(1, 2 ** 31 - 1);
      if ((await c.query<{ ok: boolean }>(TAKE_KEY, [key])).rows[0]!.ok) {
        await c.query(ADD_ROW, [key]);
        this.key = key;
        return;
      }
    }
  }

  /** The LISTEN session is gone, and with it the lock. */
  lost(): void {
    this.key = null;
  }

  /** Whether a `q` payload is for this process: `q` alone is for every one. */
  isFor(payload: string): boolean {
    return payload.length === 1 || (this.key !== null && payload.slice(1) === String(this.key));
  }

  /** On the LISTEN connection before it closes: removes the row (a waiting one wakes every claimer). */
  async unregister(c: pg.Client, channel: string): Promise<void> {
    const key = this.key;
    this.key = null;
    if (key !== null) {
      await c.query(REMOVE_ROW, [key, channel]);
    }
  }
}
