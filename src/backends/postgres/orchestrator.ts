import type pg from 'pg';
import { InvocationNotFoundError, TaskappError } from '../../core/errors.js';
import { isFinal, OWNED_STATUSES, QUEUED_STATUSES, type Status } from '../../core/status.js';
import type {
  AcquireResult,
  HistoryEntry,
  InvocationRecord,
  QueueItem,
  TransitionRequest,
} from '../../core/records.js';
import {
  ACQUIRABLE,
  applyPath,
  applyTransition,
  isRepeated,
} from '../../orchestration/apply-transition.js';
import { planAcquire, scopeKeys, type ScopeWindow } from '../../orchestration/acquire-planner.js';
import { transitionOne, type Orchestrator, type PurgeScope } from '../orchestrator.js';
import { PURGE_CHUNK } from '../common/purge-scope.js';
import { LOCK_KEYS, PgDb, stmt, type TxClient } from './db.js';
import { recordColumns, toRecord, type InvocationRow } from '../common/sql-rows.js';
import { inDialect, LEASE_SQL, POSTGRES_DIALECT } from '../common/sql-dialect.js';
import { checkable, issueChecked } from './checked.js';
import { StartedRecords } from '../common/started-records.js';
import { appendHist, histEntry } from './history.js';
import { ownedIds, pruneOwned, syncOwned } from './owned.js';

export const ACQUIRABLE_LIST = [...ACQUIRABLE];

// Rows are locked in id order so two batches touching the same invocations cannot deadlock.
const LOCK = stmt(
  'lock',
  `SELECT ${recordColumns()} FROM invocations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
);
// Waiting ones only; a concurrent acquirer blocks here, then sees them PENDING and skips them. $3 is
// set on a retry after a lost connection: rows this runner already holds PENDING were acquired by
// the attempt whose commit went through but whose answer was lost. Here and in LOCK_CLAIMED the
// status test is kept off the status index (`|| ''`, see CLAIM_START in hot-path.ts): rows by id.
export const LOCK_ACQUIRE = stmt(
  'lock_acquire',
  `SELECT * FROM invocations
  WHERE id = ANY($1::text[]) AND ((status || '') = ANY($2::text[]) OR ((status || '') = 'PENDING' AND owner = $3)) ORDER BY id FOR UPDATE`,
);
// The whole batch in one statement: new statuses, history in request order, NOTIFY of finals.
// `id = ANY($1)` lets the planner find the rows by primary key instead of hash-joining a full scan.
const WRITE = stmt(
  'write',
  `WITH e AS (
    SELECT h.id, array_agg(${histEntry('$7::bigint', 'h.status', 'h.runner_id')} ORDER BY h.ord) AS entries
    FROM unnest($8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS h(id, status, runner_id, ord)
    GROUP BY h.id),
  upd AS (
    UPDATE invocations i SET status = u.status, owner = u.owner, attempt = u.attempt,
      result = u.result, error = u.error, updated_at = $7,
      hist = ${appendHist('i', "coalesce(e.entries, '{}')")}
    FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[]) AS u(id, status, owner, attempt, result, error)
      LEFT JOIN e ON e.id = u.id
    WHERE i.id = ANY($1::text[]) AND i.id = u.id
    RETURNING i.id, i.owner),
  ${syncOwned('upd', '$7::bigint')}
  SELECT pg_notify($11, p) FROM unnest($12::text[]) AS p`,
);
// Per running scope: invocations holding a slot (running_open: their running_key while in
// ACTIVE_STATUSES, migration 011), and the recorded start times (pruned to the
// window at each start). Issued after LOCK_KEYS on the same scopes, so the counts are current.
const SLOTS = stmt(
  'slots',
  `SELECT k AS key,
    (SELECT count(*) FROM invocations i WHERE i.running_open = k)::int AS active,
    coalesce((SELECT array_agg(r.at ORDER BY r.at) FROM rate_starts r WHERE r.key = k), '{}') AS starts,
    coalesce((SELECT array_agg(r.invocation_id ORDER BY r.at) FROM rate_starts r WHERE r.key = k), '{}') AS holders
  FROM unnest($1::text[]) AS k`,
);
// Rate-limit starts: drops those out of each scope's window ($1, $2) and the reservations of the
// invocations starting now ($5), records the new starts and reservations ($3, $4, $6: holder or null).
const RATE_WRITE = stmt(
  'rate_write',
  `WITH gone AS (
    DELETE FROM rate_starts r USING unnest($1::text[], $2::bigint[]) AS p(key, upto) WHERE r.key = p.key AND r.at <= p.upto),
  used AS (DELETE FROM rate_starts r WHERE r.invocation_id = ANY($5::text[]))
  INSERT INTO rate_starts (key, at, invocation_id) SELECT * FROM unnest($3::text[], $4::bigint[], $6::text[])`,
);
// The waiting invocations of the queue rows claimed with token $1 earlier in this transaction:
// pipelined right behind the claim, so claim and lock are one round trip.
export const LOCK_CLAIMED = stmt(
  'lock_claimed',
  `SELECT * FROM invocations
  WHERE id = ANY(ARRAY(SELECT inv_id FROM queue WHERE claimed_by = $1)) AND (status || '') = ANY($2::text[]) ORDER BY id FOR UPDATE`,
);
// Work of runners not alive, through owned_sets (owned.ts); the rows of those runners with no work
// left are deleted by the same statement (the query reads the table as it was before).
const OWNED_BY_OTHERS = stmt(
  'owned_by_others',
  `WITH ${pruneOwned('NOT (s.owner = ANY($2::text[]))')}
  SELECT * FROM invocations
  WHERE id = ANY(${ownedIds('NOT (owner = ANY($2::text[]))')})
    AND status = ANY($1::text[]) AND NOT (owner = ANY($2::text[])) ORDER BY created_at, seq`,
);
// A runner's own work (reconciliation), through owned_sets too: a table as small as the work in
// hand, which this keeps so by deleting the runner's rows that list no work of it any more.
const OWNED_BY = stmt(
  'owned_by',
  `WITH ${pruneOwned('s.owner = $2')}
  SELECT * FROM invocations
  WHERE id = ANY(${ownedIds('owner = $2')})
    AND status = ANY($1::text[]) AND owner = $2 ORDER BY created_at, seq`,
);
// Owned statuses through owned_sets (as small as the work in hand; the rows written before $2 hold
// every invocation unchanged since); the others by a heap scan (no index
// may read the status, migration 015), which recovery runs once per stranded_after_seconds.
// Reads of owned_sets go in as an id array: primary-key look-ups, whatever the planner guesses of a
// table that autovacuum may never have analyzed.
const STALE_OWNED = stmt(
  'stale_owned',
  `SELECT * FROM invocations WHERE id = ANY(${ownedIds('at < $2')})
    AND status = $1 AND updated_at < $2 ORDER BY updated_at, seq`,
);
const STALE = stmt(
  'stale',
  'SELECT * FROM invocations WHERE NOT finished AND status = $1 AND updated_at < $2 ORDER BY updated_at, seq',
);
const CLAIM_STRANDED = stmt(
  'claim_stranded',
  `UPDATE invocations SET updated_at = $3
  WHERE id = ANY($1::text[]) AND status = ANY($4::text[]) AND updated_at < $2 RETURNING *`,
);
export const QUEUED_LIST = [...QUEUED_STATUSES];
const LEASE = stmt('lease', inDialect(POSTGRES_DIALECT, LEASE_SQL));
// One bounded batch: rows locked by a concurrent transaction are skipped, not waited on (the hot
// path never stalls behind retention); a child whose parent is not final is kept for its parent.
// Oldest first through invocations_created: an invocation finished before $2 was created before it
// (one written by a host whose clock runs behind may wait for a later pass), so a pass reads the
// finished ones it deletes and the unfinished old ones, not the whole table.
export const PURGE = stmt(
  'purge',
  `WITH pick AS (
    SELECT i.id FROM invocations i
    WHERE i.finished AND i.created_at < $1 AND i.updated_at < $1
      AND ($2::text[] IS NULL OR i.task_id = ANY($2::text[]))
      AND ($3::text[] IS NULL OR NOT (i.task_id = ANY($3::text[])))
      AND (i.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM invocations p
        WHERE p.id = i.parent_id AND NOT p.finished))
    ORDER BY i.created_at, i.seq LIMIT $4 FOR UPDATE SKIP LOCKED),
  gone AS (DELETE FROM invocations WHERE id IN (SELECT id FROM pick) RETURNING id),
  hist AS (DELETE FROM history WHERE inv_id IN (SELECT id FROM gone)),
  logs AS (DELETE FROM logs WHERE inv_id IN (SELECT id FROM gone)),
  extras AS (DELETE FROM invocation_extras WHERE inv_id IN (SELECT id FROM gone))
  SELECT count(*)::int AS n FROM gone`,
);

interface Change {
  id: string;
  entry: HistoryEntry;
}

/** What one acquire did inside its transaction; `changed`/`changes` are not written yet. */
export interface AcquireStep extends AcquireResult {
  changed: Map<string, InvocationRecord>;
  changes: Change[];
}

/**
 * Validates in JavaScript (the one state machine) inside one transaction: SELECT ... FOR UPDATE of
 * the batch's rows, apply each request in order, then one statement writes every change. A batch
 * of any size is two round trips on a pipelining connection (BEGIN + lock, write + COMMIT).
 */
export class PgOrchestrator implements Orchestrator {
  /**
   * Records this process's hot path started (hot-path.ts adds them): an outcome batch of those
   * returns only what each write decided, whichever path writes it (checked.ts).
   */
  readonly started = new StartedRecords();

  constructor(private readonly db: PgDb) {}

  transition(req: TransitionRequest, now: number): Promise<InvocationRecord> {
    return transitionOne(this, req, now);
  }

  async transitionMany(
    reqs: TransitionRequest[],
    now: number,
  ): Promise<Array<InvocationRecord | Error>> {
    if (!reqs.length) {
      return [];
    }
    // Most batches are outcomes the state machine allows: one round trip, checked by the UPDATE itself.
    let written = new Map<string, InvocationRecord>();
    let retried = false;
    if (checkable(reqs)) {
      const known = this.started.allOf(reqs);
      written = await this.db.publishing(async () => {
        // One statement, so no transaction around it (BEGIN and COMMIT are statements too).
        const out = await this.db.retry('transition', (attempt) => {
          retried = attempt > 0;
          const c: TxClient = { query: (q, v) => this.db.once(q, v) };
          return issueChecked(c, this.db, reqs, now, known);
        });
        this.db.finals.publish([...out.values()].filter((r) => isFinal(r.status)));
        return out;
      });
    }
    return this.keepStarted(reqs, await this.completeChecked(reqs, written, now, retried));
  }

  /** Keeps the written records still owned among those started here, lets go of the others. */
  keepStarted(
    reqs: readonly TransitionRequest[],
    out: Array<InvocationRecord | Error>,
  ): Array<InvocationRecord | Error> {
    out.forEach((r, i) =>
      r instanceof Error ? this.started.forget(reqs[i]!.id) : this.started.replace(r),
    );
    return out;
  }

  /**
   * Answers `reqs` given those a checked write changed (`written`); the others go through the
   * JavaScript path, which applies them if they became legal meanwhile or says why not. With
   * `retried` (the checked write ran again after a lost connection), a change its first try had
   * committed counts as done.
   */
  async completeChecked(
    reqs: TransitionRequest[],
    written: Map<string, InvocationRecord>,
    now: number,
    retried: boolean,
  ): Promise<Array<InvocationRecord | Error>> {
    const rest = reqs.filter((r) => !written.has(r.id));
    if (!rest.length) {
      return reqs.map((r) => written.get(r.id)!);
    }
    const out = await this.db.publishing(async () => {
      const step = await this.db.tx(async (c, attempt) => {
        const step = await this.transitionInTx(
          c,
          rest,
          now,
          retried ? Math.max(attempt, 1) : attempt,
        );
        return { out: step.out, finals: this.write(c, step.changed, step.changes, now) };
      });
      this.db.finals.publish(step.finals);
      return step.out;
    });
    const byReq = new Map(rest.map((r, i) => [r, out[i]!]));
    return reqs.map((r) => written.get(r.id) ?? byReq.get(r)!);
  }

  /**
   * Inside a transaction: locks the requests' rows and applies each request in order (the lock goes
   * out at once, pipelined with whatever the caller issues next); the changes are left to `write`.
   */
  async transitionInTx(
    c: TxClient,
    reqs: TransitionRequest[],
    now: number,
    attempt: number,
  ): Promise<{ out: Array<InvocationRecord | Error> } & Pick<AcquireStep, 'changed' | 'changes'>> {
    const current = await this.lock(c, LOCK, [[...new Set(reqs.map((r) => r.id))]]);
    const changed = new Map<string, InvocationRecord>();
    const changes: Change[] = [];
    const out = reqs.map((req): InvocationRecord | Error => {
      const rec = current.get(req.id);
      if (!rec) {
        return new InvocationNotFoundError(req.id);
      }
      // A retry after a lost connection: the earlier attempt may have committed this very change
      // (same status, written at the same `now`); it is done, not illegal.
      if (attempt > 0 && rec.status === req.to && rec.updatedAt === now && !changed.has(rec.id)) {
        return rec;
      }
      if (isRepeated(rec, req)) {
        return rec;
      }
      try {
        const { record, entries } = applyPath(rec, req, now);
        current.set(rec.id, record);
        changed.set(rec.id, record);
        changes.push(...entries.map((entry) => ({ id: rec.id, entry })));
        return record;
      } catch (err) {
        if (err instanceof TaskappError) {
          return err;
        }
        throw err;
      }
    });
    return { out, changed, changes };
  }

  async acquire(ids: string[], runnerId: string, now: number): Promise<AcquireResult> {
    if (!ids.length) {
      return { acquired: [], requeue: [] };
    }
    const { acquired, requeue, finals } = await this.db.tx(async (c, attempt) => {
      const step = await this.acquireInTx(c, ids, runnerId, now, attempt);
      return { ...step, finals: this.write(c, step.changed, step.changes, now) };
    });
    this.db.finals.publish(finals);
    return { acquired, requeue };
  }

  /**
   * Inside a transaction: locks the waiting rows, then (only when some have running concurrency)
   * their scopes, counts slots and starts under those locks and decides each one with decide().
   * Two runners acquiring the same scope run this one after the other, so they never both take the
   * last slot. Rate-limit starts are issued here; the status changes are left to `write`.
   */
  async acquireInTx(
    c: TxClient,
    ids: string[],
    runnerId: string,
    now: number,
    attempt: number,
    opts: { clock?: () => number; locked?: Promise<pg.QueryResult<InvocationRow>> } = {},
  ): Promise<AcquireStep> {
    const { clock } = opts;
    const unique = [...new Set(ids)];
    const current = opts.locked
      ? new Map((await opts.locked).rows.map((r) => [r.id, toRecord(r)]))
      : await this.lock(c, LOCK_ACQUIRE, [unique, ACQUIRABLE_LIST, attempt > 0 ? runnerId : null]);
    const keys = scopeKeys([...current.values()].filter((r) => r.status !== 'PENDING'));
    const scopes = new Map<string, ScopeWindow>();
    // Rate-limit start time: with `clock` (the hot path, on real time), read once the scopes are
    // locked, as close to the real start as this transaction gets; `now` was read round trips ago.
    let at = now;
    if (keys.length) {
      // Rows first, then scopes: a transaction holding a scope lock waits for nothing else, so no cycle.
      void c.query(LOCK_KEYS, [this.db.lockSpaces.running, keys]);
      for (const r of (
        await c.query<{
          key: string;
          active: number;
          starts: string[];
          holders: Array<string | null>;
        }>(SLOTS, [keys])
      ).rows) {
        scopes.set(r.key, {
          active: r.active,
          marks: r.starts.map((t, i) => ({ at: Number(t), holder: r.holders[i] ?? null })),
        });
      }
      if (clock) {
        at = Math.max(now, clock());
      }
    }
    const changed = new Map<string, InvocationRecord>();
    const changes: Change[] = [];
    const acquired: InvocationRecord[] = [];
    const requeue: QueueItem[] = [];
    const prune = new Map<string, number>();
    const added: Array<[string, number, string | null]> = [];
    const used: string[] = [];
    const apply = (rec: InvocationRecord, req: TransitionRequest): InvocationRecord => {
      const { record, entry } = applyTransition(rec, req, now);
      changed.set(rec.id, record);
      changes.push({ id: rec.id, entry });
      return record;
    };
    for (const id of unique) {
      let rec = current.get(id);
      if (!rec) {
        continue;
      }
      // Acquired by an earlier attempt whose commit went through but whose answer was lost.
      if (rec.status === 'PENDING') {
        acquired.push(rec);
        continue;
      }
      const key = rec.concurrency?.key;
      const plan = planAcquire(rec, key === undefined ? undefined : scopes.get(key), at);
      if (plan.kind === 'blocked') {
        for (const to of plan.path) {
          rec = apply(rec, { id, to, runnerId });
        }
        if (plan.requeue) {
          requeue.push(plan.requeue);
        }
        if (plan.reserve) {
          added.push([plan.reserve.key, plan.reserve.at, id]);
        }
        continue;
      }
      if (plan.rate) {
        prune.set(plan.rate.key, plan.rate.windowStart);
        added.push([plan.rate.key, plan.rate.startAt, null]);
        if (plan.rate.reserved) {
          used.push(id);
        }
      }
      acquired.push(apply(rec, { id, to: 'PENDING', runnerId }));
    }
    if (added.length) {
      void c.query(RATE_WRITE, [
        [...prune.keys()],
        [...prune.values()],
        added.map((a) => a[0]),
        added.map((a) => a[1]),
        used,
        added.map((a) => a[2]),
      ]);
    }
    return { acquired, requeue, changed, changes };
  }

  private async lock(
    c: TxClient,
    q: typeof LOCK,
    values: unknown[],
  ): Promise<Map<string, InvocationRecord>> {
    const rows = (await c.query<InvocationRow>(q, values)).rows;
    return new Map(rows.map((r) => [r.id, toRecord(r)]));
  }

  /**
   * Issues the write of the changed records and their history entries (not awaited: it goes out
   * with the COMMIT, which fails the transaction if it fails); returns the records now final.
   */
  write(
    c: TxClient,
    changed: Map<string, InvocationRecord>,
    changes: Change[],
    now: number,
  ): InvocationRecord[] {
    if (!changes.length) {
      return [];
    }
    const recs = [...changed.values()];
    const finals = recs.filter((r) => isFinal(r.status));
    void c.query(WRITE, [
      recs.map((r) => r.id),
      recs.map((r) => r.status),
      recs.map((r) => r.owner),
      recs.map((r) => r.attempt),
      recs.map((r) => r.result),
      recs.map((r) => r.error),
      now,
      changes.map((h) => h.id),
      changes.map((h) => h.entry.status),
      changes.map((h) => h.entry.runnerId),
      this.db.channel,
      PgDb.finalPayloads(finals.map((r) => r.id)),
    ]);
    return finals;
  }

  async ownedByOthers(live: string[], statuses: string[]): Promise<InvocationRecord[]> {
    return (await this.db.rows<InvocationRow>(OWNED_BY_OTHERS, [statuses, live])).map(toRecord);
  }

  async ownedBy(runnerId: string, statuses: string[]): Promise<InvocationRecord[]> {
    return (await this.db.rows<InvocationRow>(OWNED_BY, [statuses, runnerId])).map(toRecord);
  }

  async staleIn(status: string, before: number): Promise<InvocationRecord[]> {
    const q = OWNED_STATUSES.has(status as Status) ? STALE_OWNED : STALE;
    return (await this.db.rows<InvocationRow>(q, [status, before])).map(toRecord);
  }

  async claimStranded(ids: string[], before: number, now: number): Promise<InvocationRecord[]> {
    return (await this.db.rows<InvocationRow>(CLAIM_STRANDED, [ids, before, now, QUEUED_LIST])).map(
      toRecord,
    );
  }

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return ((await this.db.query(LEASE, [name, holder, now + ttlMs, now])).rowCount ?? 0) > 0;
  }

  async purge(before: number, scope?: PurgeScope): Promise<number> {
    const limit = scope?.limit ?? PURGE_CHUNK;
    const args = [before, scope?.taskIds ?? null, scope?.exceptTaskIds ?? null, limit];
    let total = 0;
    for (;;) {
      const n = (await this.db.rows<{ n: number }>(PURGE, args))[0]!.n;
      total += n;
      if (scope?.limit !== undefined || n < limit) {
        return total;
      }
    }
  }
}
