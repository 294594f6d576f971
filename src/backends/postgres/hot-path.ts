/**
 * The postgres hot path (docs/architecture.md, section 4): enqueue is one transaction (insert + queue rows +
 * NOTIFY, one round trip without registration keys). Claim-and-start, and a runner's outcomes with
 * its next claim, are one transaction of one round trip when they can be: outcomes checked by their
 * UPDATE (checked.ts), a claim with SKIP LOCKED, and the claimed invocations without running
 * concurrency moved REGISTERED/REROUTED/RETRY -> PENDING -> RUNNING by one statement that also takes their queue rows (CLAIM_START).
 * Claimed ones under running concurrency then take the JavaScript path (acquire with its locks and
 * counts, blocked ones back to the queue) in a second transaction; after a lost connection every
 * try takes the JavaScript path, which reads back what a committed earlier try did.
 */
import type { InvocationRecord, TransitionRequest } from '../../core/records.js';
import { applyTransition, mayRoute, routeFor } from '../../orchestration/apply-transition.js';
import type { HotPath } from '../hot-path.js';
import {
  CLAIM,
  claimedIds,
  claimValues,
  leaseCutoff,
  RECLAIM,
  ROUTE,
  routeValues,
  type ClaimRow,
  type ClaimStep,
  type ClaimTry,
  type PgBroker,
} from './broker.js';
import { NOTIFY_QUEUE, stmt, type PgDb, type TxClient } from './db.js';
import { checkable, issueChecked } from './checked.js';
import { appendHist, histEntry } from './history.js';
import { ownedIds, syncOwned } from './owned.js';
import { isFinal, type Status } from '../../core/status.js';
import {
  ACQUIRABLE_LIST,
  LOCK_CLAIMED,
  QUEUED_LIST,
  type AcquireStep,
  type PgOrchestrator,
} from './orchestrator.js';
import { ENQUEUE, insertValues, type PgStateBackend } from './state.js';
import { clampPriority } from '../memory/broker.js';
import { recordColumns, toRecord, type InvocationRow } from '../common/sql-rows.js';

// After a lost answer: what the committed try started for this runner (at `now`, $3, if given).
const STARTED = stmt(
  'started',
  `SELECT ${recordColumns()} FROM invocations WHERE id = ANY($1::text[]) AND status = 'RUNNING' AND owner = $2
  AND ($3::bigint IS NULL OR updated_at = $3)`,
);
// After a lost answer: what committed CLAIM_START tries (at `now`s $2) started for this runner
// (found through owned_sets, owned.ts).
const STARTED_AT = stmt(
  'started_at',
  `SELECT ${recordColumns()} FROM invocations WHERE id = ANY(${ownedIds('owner = $1')})
    AND updated_at = ANY($2::bigint[]) AND status = 'RUNNING' AND owner = $1`,
);
// Claims of tries given up on: rows whose invocation was taken are done; the others (not acquired
// by a committed try, or never claimed by one) are put back.
const RELEASE_CLAIMS = stmt(
  'release_claims',
  `WITH gone AS (
    DELETE FROM queue q WHERE q.claimed_by = ANY($1::text[])
      AND NOT EXISTS (SELECT 1 FROM invocations i WHERE i.id = q.inv_id AND i.status = ANY($2::text[])))
  UPDATE queue q SET claimed_by = NULL, claimed_at = NULL WHERE q.claimed_by = ANY($1::text[])
    AND EXISTS (SELECT 1 FROM invocations i WHERE i.id = q.inv_id AND i.status = ANY($2::text[]))`,
);
// The one-round-trip claim-and-start, one statement: it finishes this broker's delivered claims
// ($4), takes up to $2 ready queue rows (SKIP LOCKED, as CLAIM in broker.ts), moves their waiting
// invocations without running concurrency REGISTERED/REROUTED/RETRY -> PENDING -> RUNNING for
// runner $7 (the path checked below against the state machine) and deletes the queue rows of those
// it started: a started invocation's queue row is neither marked nor read again. The rows it did
// not start (running concurrency, or no longer waiting) are marked with token $3, as CLAIM does,
// for the JavaScript path. The ids go in as an array so the plan is primary-key look-ups whatever
// the planner guesses of the queue; the status test is kept off any status index (`|| ''`): with
// many finished invocations the statistics make waiting ones look rare. Each step of the path ($8)
// goes into the row's history (history.ts; the entries depend on no row: computed once). Always one row at least:
// one row carries started_ids (hand-out order) and left_ids (those marked, in order), the others
// null, so a claim of n returns n ids, not n²; and, when nothing was ready, when to look again (next); the invocation
// columns are null when it started none. Started and left rows are told apart by one hashed
// NOT IN (split), not by `= ANY(array)` per row, which made a claim of 500 cost 250,000 comparisons;
// split also gives both id lists (its rows are locked by c, so every one of them is deleted or marked).
// After a lost answer, what it started is found by runner
// and `now` ($1, unique per try: see PgBroker.claimVia), as its queue rows are gone.
// Listener $9's row in claim_waiters (claim-waiters.ts) is marked waiting when the claim leaves the
// queue empty, and not when it takes all it may ($2: more may be ready); then it passes a wake-up
// on to another waiting listener, on channel $10 (the `passed` column is there so that CTE runs).
export const PLAIN_PATH: readonly Status[] = ['PENDING', 'RUNNING'];
export const CLAIM_START = stmt(
  'claim_start',
  `WITH done AS (DELETE FROM queue WHERE claimed_by = ANY($4::text[])),
  c AS (
    SELECT ctid, inv_id, priority, seq FROM queue WHERE not_before <= $1 AND (claimed_by IS NULL OR (claimed_at < $5 AND NOT (claimed_by = ANY($4::text[]))))
    ORDER BY priority DESC, seq LIMIT $2 FOR UPDATE SKIP LOCKED),
  k AS (SELECT count(*) AS n FROM c),
  waiting AS (UPDATE claim_waiters w SET since = CASE WHEN k.n < $2 THEN statement_timestamp() END, busy = k.n > 0
    FROM k WHERE w.listener = $9 AND (k.n < $2 OR w.since IS NOT NULL)),
  passed AS (SELECT pg_notify($10, 'q' || l) FROM (SELECT idle_claimer($9) AS l FROM k WHERE k.n = $2) x
    WHERE l IS NOT NULL),
  s AS (
    UPDATE invocations i SET status = 'RUNNING', owner = $7, attempt = i.attempt + 1, updated_at = $1,
      hist = ${appendHist('i', `ARRAY(SELECT ${histEntry('$1', 'p.s', '$7')} FROM unnest($8::text[]) WITH ORDINALITY AS p(s, n) ORDER BY p.n)`)}
    WHERE i.id = ANY(ARRAY(SELECT inv_id FROM c)) AND (i.status || '') = ANY($6::text[]) AND i.concurrency IS NULL
    RETURNING ${recordColumns('i')}),
  ${syncOwned('s', '$1::bigint')},
  split AS (SELECT c.ctid, c.inv_id, c.priority, c.seq, c.inv_id NOT IN (SELECT id FROM s) AS left_over FROM c),
  gone AS (DELETE FROM queue q WHERE q.ctid = ANY(ARRAY(SELECT ctid FROM split WHERE NOT left_over))),
  lft AS (UPDATE queue q SET claimed_by = $3, claimed_at = $1
    WHERE q.ctid = ANY(ARRAY(SELECT ctid FROM split WHERE left_over)))
  SELECT s.*, CASE WHEN s.id IS NOT DISTINCT FROM x.head THEN x.started_ids END AS started_ids,
    CASE WHEN s.id IS NOT DISTINCT FROM x.head THEN x.left_ids END AS left_ids, x.next, x.drained
  FROM (SELECT ARRAY(SELECT inv_id FROM split WHERE left_over ORDER BY priority DESC, seq) AS left_ids,
      (SELECT min(id) FROM s) AS head,
      ARRAY(SELECT inv_id FROM split WHERE NOT left_over ORDER BY priority DESC, seq) AS started_ids,
      k.n < $2 AS drained, (SELECT count(*) FROM passed) AS passed,
      CASE WHEN k.n < $2 THEN least(
        (SELECT min(not_before) FROM queue WHERE not_before > $1 AND not_before > 0 AND claimed_by IS NULL),
        (SELECT min(claimed_at) FROM queue WHERE claimed_by IS NOT NULL) + ($1 - $5)) END AS next
    FROM k) x
  LEFT JOIN s ON true`,
);
/** CLAIM_START's parameters: try `t` for `runnerId`, whose process listens as `waiter` on `channel`. */
export const claimStartValues = (
  t: Pick<ClaimTry, 'now' | 'max' | 'token' | 'done'>,
  runnerId: string,
  waiter: number | null,
  channel: string,
): unknown[] => [
  t.now,
  t.max,
  t.token,
  t.done,
  leaseCutoff(t.now),
  ACQUIRABLE_LIST,
  runnerId,
  PLAIN_PATH,
  waiter,
  channel,
];
// CLAIM_START's plan does not depend on its values, but PostgreSQL keeps choosing a custom plan for
// it (the generic one's LIMIT $2 looks dearer): planning it at every claim cost more than running it.
const GENERIC_PLAN = stmt('generic_plan', 'SET LOCAL plan_cache_mode = force_generic_plan');
type ClaimStartRow = InvocationRow & {
  /** started_ids and left_ids: on one row only (the others have null), not repeated on each. */
  started_ids: string[] | null;
  left_ids: string[] | null;
  next: number | null;
  drained: boolean;
};
// CLAIM_START writes owner = runner and attempt + 1 without asking status.ts: right only while
// every ACQUIRABLE status may go through PLAIN_PATH, taking the runner as owner.
// test/unit/backends/postgres/hot-path.test.ts fails when a change to status.ts breaks that.

// Recovery: waiting invocations unchanged since $2 with no queue row (a heap scan: no index may
// read the status, migration 015; the queue read once into a hashed NOT IN; a paused task's parked row counts as one), routed by the same
// statement; SKIP LOCKED: one a transaction is moving right now is not waiting.
const REQUEUE_STRANDED = stmt(
  'requeue_stranded',
  `WITH s AS (
    SELECT * FROM invocations
    WHERE NOT finished AND status = ANY($1::text[]) AND updated_at < $2 AND id NOT IN (SELECT inv_id FROM queue)
    AND id NOT IN (SELECT inv_id FROM parked_queue)
    ORDER BY updated_at LIMIT $3 FOR UPDATE SKIP LOCKED),
  ins AS (INSERT INTO queue (inv_id, priority, not_before) SELECT id, priority, 0 FROM s)
  SELECT * FROM s`,
);

export function pgHotPath(
  d: PgDb,
  state: PgStateBackend,
  broker: PgBroker,
  orch: PgOrchestrator,
): HotPath {
  // Records started here, so a batch of their outcomes returns only what it decided (checked.ts),
  // shared with the orchestrator, which writes a runner's outcomes that go out on their own.
  const running = orch.started;
  // The writes that make invocations final publish them before they resolve (PgDb.publishing).
  async function transitionAndRoute(
    reqs: TransitionRequest[],
    now: number,
  ): ReturnType<HotPath['transitionAndRoute']> {
    if (!reqs.length) {
      return [];
    }
    const { out, finals } = await d.tx(async (c, attempt) => {
      const step = await orch.transitionInTx(c, reqs, now, attempt);
      const finals = orch.write(c, step.changed, step.changes, now);
      const items = step.out.flatMap((r, i) =>
        r instanceof Error ? [] : (routeFor(r, reqs[i]!) ?? []),
      );
      if (items.length) {
        void c.query(ROUTE, routeValues(items, d.channel));
      }
      return { out: step.out, finals };
    });
    d.finals.publish(finals);
    return out;
  }

  /** finishAndClaim, then what it wrote and started kept or let go in `running`. */
  async function finishAndClaim(
    done: TransitionRequest[],
    max: number,
    runnerId: string,
  ): ReturnType<HotPath['finishAndClaim']> {
    const out = await writeAndClaim(done, max, runnerId);
    orch.keepStarted(done, out.done);
    running.add(out.started);
    return out;
  }

  async function writeAndClaim(
    done: TransitionRequest[],
    max: number,
    runnerId: string,
  ): ReturnType<HotPath['finishAndClaim']> {
    // Outcomes that go back to the queue (RETRY) take the transaction that routes them; the
    // one-round-trip paths below write outcomes only. Retries are the exception, not the flow.
    if (mayRoute(done)) {
      const written = await transitionAndRoute(done, Date.now());
      return {
        done: written,
        started: max > 0 ? await hot.claimAndStart(max, 0, runnerId) : [],
      };
    }
    let finals: InvocationRecord[] = [];
    let written: Written | undefined;
    let retried = false;
    let now = Date.now();
    const started = !broker.mayHaveWork(now)
      ? []
      : await broker.claimVia<InvocationRecord>(max, 0, async (t, until) => {
          now = t.now;
          // A try cut short by a lost connection may still have committed the outcomes.
          retried = true;
          const step = await claimTry(t, until, runnerId, done, running.allOf(done));
          retried = step.retried;
          finals = step.finals;
          written = step.done;
          return step.claim;
        });
    d.finals.publish(finals);
    // Not written by a committed claim (the queue was known empty, or the claim was cut short):
    // on their own, at the same `now`, so a change an unanswered try did commit counts as done.
    if (!written) {
      return {
        done: retried
          ? await orch.completeChecked(done, new Map(), now, true)
          : await orch.transitionMany(done, now),
        started,
      };
    }
    if (Array.isArray(written)) {
      return { done: written, started };
    }
    d.finals.publish([...written.values()].filter((r) => isFinal(r.status)));
    return { done: await orch.completeChecked(done, written, now, retried), started };
  }

  const hot: HotPath = {
    // Concurrent inserts into one table's last pages contend: 4 batches of 1,000 at once cost the
    // server 24-25 µs per invocation, 2 cost 20-21 at the same rate (49-52k/s, 2 cores).
    enqueuesInFlight: 2,
    async enqueue(invs, now) {
      if (!invs.length) {
        return [];
      }
      // Announced before they can be final: a result awaited here then starts without a read.
      d.finals.expectNew(invs.map((i) => i.id));
      if (!invs.some((i) => i.registrationKey)) {
        const values = [
          ...insertValues(invs, now),
          invs.map((i) => clampPriority(i.priority)),
          d.channel,
        ];
        await d.query(ENQUEUE, values);
        return invs.map((i) => i.id);
      }
      const ids = await d.tx(async (c, attempt) => {
        const plan = await state.insertInTx(c, invs, now, attempt);
        if (plan.fresh.length) {
          void c.query(
            ROUTE,
            routeValues(
              plan.fresh.map((i) => ({ id: i.id, priority: i.priority })),
              d.channel,
            ),
          );
        }
        return plan.ids;
      });
      return ids;
    },

    async claimAndStart(max, waitMs, runnerId) {
      let finals: InvocationRecord[] = [];
      const started = await broker.claimVia<InvocationRecord>(max, waitMs, async (t, until) => {
        const step = await claimTry(t, until, runnerId, []);
        finals = step.finals;
        return step.claim;
      });
      d.finals.publish(finals);
      return running.add(started);
    },

    finishAndClaim(done, max, runnerId) {
      return d.publishing(() => finishAndClaim(done, max, runnerId));
    },

    transitionAndRoute(reqs, now) {
      reqs.forEach((r) => running.forget(r.id));
      return d.publishing(() => transitionAndRoute(reqs, now));
    },

    async requeueStranded(before, _now, limit) {
      const rows = await d.tx(async (c) => {
        const found = (await c.query<InvocationRow>(REQUEUE_STRANDED, [QUEUED_LIST, before, limit]))
          .rows;
        if (found.length) {
          void c.query(NOTIFY_QUEUE, [d.channel]);
        }
        return found;
      });
      return rows.map(toRecord);
    },
  };
  return hot;

  /** Outcomes as a fused try wrote them: checked by the UPDATE (changed ones by id), or validated here (in request order). */
  type Written = Map<string, InvocationRecord> | Array<InvocationRecord | Error>;
  type TryStep = {
    claim: ClaimStep<InvocationRecord>;
    finals: InvocationRecord[];
    done?: Written;
    leftover?: string[];
  };

  /** One claim try (with `done`, this runner's outcomes too): one round trip if it can, else the JavaScript path. */
  async function claimTry(
    t: ClaimTry,
    until: number,
    runnerId: string,
    done: TransitionRequest[],
    known?: InvocationRecord[],
  ): Promise<TryStep & { retried: boolean }> {
    const plain = t.back.length === 0 && (done.length === 0 || checkable(done));
    let retried = false;
    const step = await d.transaction(
      (c, attempt) => {
        retried ||= attempt > 0;
        return plain && attempt === 0
          ? plainTry(c, t, runnerId, done, known)
          : startInTx(c, attempt, t, runnerId, done);
      },
      until,
      (attempt) => plain && attempt === 0,
    );
    if (!step.leftover?.length || !('items' in step.claim)) {
      return { ...step, retried };
    }
    // Claimed but not started by CLAIM_START: under running concurrency, or no longer waiting.
    const items = step.claim.items;
    const more = await d.tx(
      (c, attempt) => startLeftovers(c, attempt, step.leftover!, runnerId, t.now),
      until,
    );
    const order = new Map(step.leftover.map((id, i) => [id, i]));
    return {
      ...step,
      claim: {
        items: [...items, ...more.items.sort((a, b) => order.get(a.id)! - order.get(b.id)!)],
      },
      finals: more.finals,
      retried,
    };
  }

  /** Issues outcomes and CLAIM_START together (the caller's COMMIT goes with them); resolves once their answers are in. */
  function plainTry(
    c: TxClient,
    t: ClaimTry,
    runnerId: string,
    done: TransitionRequest[],
    known: InvocationRecord[] | undefined,
  ): Promise<TryStep> {
    const checked = done.length ? issueChecked(c, d, done, t.now, known) : undefined;
    void c.query(GENERIC_PLAN);
    const started = c.query<ClaimStartRow>(
      CLAIM_START,
      claimStartValues(t, runnerId, d.waiter.key, d.channel),
    );
    return (async () => {
      const rows = (await started).rows;
      const written = checked ? await checked : undefined;
      const head = rows.find((r) => r.started_ids !== null)!;
      const leftIds = head.left_ids ?? [];
      const byId = new Map(rows.filter((r) => r.id !== null).map((r) => [r.id, r]));
      // In queue order (started_ids), once each.
      const mine = [...new Set(head.started_ids)].flatMap((id) => byId.get(id) ?? []);
      if (!mine.length && !leftIds.length) {
        return { claim: { next: head.next }, finals: [], done: written };
      }
      return {
        claim: {
          items: mine.map(toRecord),
          ...(head.drained ? { drained: { next: head.next } } : {}),
        },
        finals: [],
        done: written,
        leftover: leftIds,
      };
    })();
  }

  /** The JavaScript path for claimed ids CLAIM_START left: acquire (running concurrency), RUNNING, blocked ones back to the queue. */
  async function startLeftovers(
    c: TxClient,
    attempt: number,
    ids: string[],
    runnerId: string,
    now: number,
  ): Promise<{ items: InvocationRecord[]; finals: InvocationRecord[] }> {
    // A committed earlier attempt started them at this very `now`.
    const again =
      attempt > 0
        ? (await c.query<InvocationRow>(STARTED, [ids, runnerId, now])).rows.map(toRecord)
        : [];
    const step = await orch.acquireInTx(c, ids, runnerId, now, 0, { clock: Date.now });
    const running = startAcquired(step, runnerId, now);
    const finals = orch.write(c, step.changed, step.changes, now);
    if (step.requeue.length) {
      void c.query(ROUTE, routeValues(step.requeue, d.channel));
    }
    return { items: [...again, ...running], finals };
  }

  /** Moves what an acquire took on to RUNNING, adding the changes to the step's (written by the caller). */
  function startAcquired(step: AcquireStep, runnerId: string, now: number): InvocationRecord[] {
    return step.acquired.map((rec) => {
      const { record, entry } = applyTransition(rec, { id: rec.id, to: 'RUNNING', runnerId }, now);
      step.changed.set(rec.id, record);
      step.changes.push({ id: rec.id, entry });
      return record;
    });
  }

  /**
   * One claim try inside a transaction (the JavaScript path): claim with SKIP LOCKED, acquire with
   * concurrency control, RUNNING, blocked ones back to the queue; with `done`, also this runner's
   * outcomes, written in the same statement. `done` results are undefined when this try did not
   * write them.
   */
  async function startInTx(
    c: TxClient,
    attempt: number,
    t: ClaimTry,
    runnerId: string,
    done: TransitionRequest[],
  ): Promise<TryStep> {
    /**
     * What committed tries with these tokens and `now`s started for this runner: CLAIM_START's by
     * runner and `now` (their queue rows are gone), the JavaScript path's by their claimed rows.
     * Null: they did not commit (neither left a trace).
     */
    const readBack = async (
      tokens: string[],
      nows: number[],
    ): Promise<InvocationRecord[] | null> => {
      const fused = c.query<InvocationRow>(STARTED_AT, [runnerId, nows]);
      const got = (await c.query<ClaimRow>(RECLAIM, [tokens])).rows;
      const recs = new Map((await fused).rows.map((r) => [r.id, toRecord(r)]));
      const fusedIds = [...recs.keys()];
      if (!got.length && !fusedIds.length) {
        return null;
      }
      const ids = got.length ? (claimedIds(got) as { ids: string[] }).ids : [];
      for (const r of (await c.query<InvocationRow>(STARTED, [ids, runnerId, null])).rows) {
        recs.set(r.id, toRecord(r));
      }
      return [...new Set([...fusedIds, ...ids])].flatMap((id) => recs.get(id) ?? []);
    };
    // This try's earlier attempt may have committed before its connection dropped.
    if (attempt > 0) {
      const mine = await readBack([t.token], [t.now]);
      if (mine) {
        // A one-round-trip try leaves its claimed rows under running concurrency unstarted: put them back.
        void c.query(RELEASE_CLAIMS, [[t.token], ACQUIRABLE_LIST]);
        return { claim: { items: mine }, finals: [] };
      }
    }
    // Tries the claim loop gave up on (lost connection): a committed one already started some of
    // its rows here. Hand those out; put back the rest.
    if (t.back.length) {
      const earlier = await readBack(t.back, t.backAt);
      if (earlier?.length) {
        void c.query(RELEASE_CLAIMS, [t.back, ACQUIRABLE_LIST]);
        return { claim: { items: earlier }, finals: [] };
      }
    }
    // Outcome rows, claim and claimed rows go out together: the first round trip. Outcomes are
    // validated here (a retry finds its own committed changes done).
    const outcomes = done.length ? orch.transitionInTx(c, done, t.now, attempt) : undefined;
    const claimed = c.query<ClaimRow>(
      CLAIM,
      claimValues({ ...t, done: [...t.done, ...t.back], back: [] }),
    );
    const locked = c.query<InvocationRow>(LOCK_CLAIMED, [t.token, ACQUIRABLE_LIST]);
    const fin = await outcomes;
    const found = claimedIds((await claimed).rows);
    const step: AcquireStep =
      'ids' in found
        ? await orch.acquireInTx(c, found.ids, runnerId, t.now, 0, { clock: Date.now, locked })
        : { acquired: [], requeue: [], changed: new Map(), changes: [] };
    const running = startAcquired(step, runnerId, t.now);
    if (fin) {
      for (const [id, rec] of fin.changed) {
        step.changed.set(id, rec);
      }
      step.changes.push(...fin.changes);
    }
    const finals = orch.write(c, step.changed, step.changes, t.now);
    if (step.requeue.length) {
      void c.query(ROUTE, routeValues(step.requeue, d.channel));
    }
    return { claim: 'ids' in found ? { items: running } : found, finals, done: fin?.out };
  }
}
