/**
 * The postgres hot path (DESIGN.md section 4): enqueue is one transaction (insert + queue rows +
 * NOTIFY, one round trip without registration keys); claim-and-start is one transaction (claim
 * with SKIP LOCKED, acquire with concurrency control, RUNNING, blocked ones back to the queue); a
 * runner's outcomes and its next claim are one transaction of two round trips.
 */
import type { InvocationRecord, TransitionRequest } from '../../core/records.js';
import { applyTransition } from '../../orchestration/apply-transition.js';
import type { HotPath } from '../hot-path.js';
import { CLAIM, claimedIds, claimValues, RECLAIM, ROUTE, routeValues, type ClaimRow, type ClaimStep, type ClaimTry, type PgBroker } from './broker.js';
import { stmt, type PgDb, type TxClient } from './db.js';
import { ACQUIRABLE_LIST, LOCK_CLAIMED, type PgOrchestrator } from './orchestrator.js';
import type { PgStateBackend } from './state.js';
import { toRecord, type InvocationRow } from '../shared/sql-rows.js';

// After a lost answer: what the committed try started for this runner.
const STARTED = stmt('started', `SELECT * FROM invocations WHERE id = ANY($1::text[]) AND status = 'RUNNING' AND owner = $2`);
const DROP_CLAIMS = stmt('drop_claims', 'DELETE FROM queue WHERE claimed_by = ANY($1::text[])');

export function pgHotPath(d: PgDb, state: PgStateBackend, broker: PgBroker, orch: PgOrchestrator): HotPath {
  return {
    async enqueue(invs, now) {
      if (!invs.length) return [];
      const ids = await d.tx(async (c, attempt) => {
        const plan = await state.insertInTx(c, invs, now, attempt);
        if (plan.fresh.length) void c.query(ROUTE, routeValues(plan.fresh.map((i) => ({ id: i.id, priority: i.priority })), d.channel));
        return plan.ids;
      });
      d.queueChanged();
      return ids;
    },

    async claimAndStart(max, waitMs, runnerId) {
      let finals: InvocationRecord[] = [];
      const started = await broker.claimVia<InvocationRecord>(max, waitMs, (t, until) => d.tx(async (c, attempt) => {
        const step = await startInTx(c, attempt, t, runnerId, []);
        finals = step.finals;
        return step.claim;
      }, until));
      d.finals.publish(finals);
      return started;
    },

    async finishAndClaim(done, max, runnerId) {
      let finals: InvocationRecord[] = [];
      let written: Array<InvocationRecord | Error> | undefined;
      let now = Date.now();
      const started = !broker.mayHaveWork(now) ? [] : await broker.claimVia<InvocationRecord>(max, 0, (t, until) => {
        now = t.now;
        let tried: typeof written;
        return d.tx(async (c, attempt) => {
          const step = await startInTx(c, attempt, t, runnerId, done);
          finals = step.finals;
          tried = step.done;
          return step.claim;
        }, until).then((claim) => { written = tried; return claim; });
      });
      d.finals.publish(finals);
      // Not written by a committed claim (the queue was known empty, or the claim was cut short):
      // on their own, at the same `now`, so a change an unanswered try did commit counts as done.
      return { done: written ?? await orch.transitionMany(done, now), started };
    },
  };

  /**
   * One claim try inside a transaction: claim with SKIP LOCKED, acquire with concurrency control,
   * RUNNING, blocked ones back to the queue; with `done`, also this runner's outcomes, written in
   * the same statement. `done` results are undefined when this try did not write them.
   */
  async function startInTx(c: TxClient, attempt: number, t: ClaimTry, runnerId: string, done: TransitionRequest[]):
    Promise<{ claim: ClaimStep<InvocationRecord>; finals: InvocationRecord[]; done?: Array<InvocationRecord | Error> }> {
    /** What committed tries with these tokens started for this runner; null: they did not commit. */
    const readBack = async (tokens: string[]): Promise<InvocationRecord[] | null> => {
      const got = (await c.query<ClaimRow>(RECLAIM, [tokens])).rows;
      if (!got.length) return null;
      const ids = (claimedIds(got) as { ids: string[] }).ids;
      const recs = new Map((await c.query<InvocationRow>(STARTED, [ids, runnerId])).rows.map((r) => [r.id, toRecord(r)]));
      return ids.flatMap((id) => recs.get(id) ?? []);
    };
    // This try's earlier attempt may have committed before its connection dropped.
    if (attempt > 0) {
      const mine = await readBack([t.token]);
      if (mine) return { claim: { items: mine }, finals: [] };
    }
    // Tries the claim loop gave up on (lost connection): unlike plain claims, their rows must not
    // be put back, since a committed one already started its invocations here. Hand those out.
    if (t.back.length) {
      const earlier = await readBack(t.back);
      if (earlier?.length) {
        void c.query(DROP_CLAIMS, [t.back]);
        return { claim: { items: earlier }, finals: [] };
      }
    }
    // Outcome rows, claim and claimed rows go out together: one round trip.
    const outcomes = done.length ? orch.transitionInTx(c, done, t.now, attempt) : undefined;
    const claimed = c.query<ClaimRow>(CLAIM, claimValues({ ...t, done: [...t.done, ...t.back], back: [] }));
    const locked = c.query<InvocationRow>(LOCK_CLAIMED, [t.token, ACQUIRABLE_LIST]);
    const fin = await outcomes;
    const found = claimedIds((await claimed).rows);
    const step = 'ids' in found
      ? await orch.acquireInTx(c, found.ids, runnerId, t.now, 0, { clock: Date.now, locked })
      : { acquired: [], requeue: [], changed: new Map<string, InvocationRecord>(), changes: [] };
    const running = step.acquired.map((rec) => {
      const { record, entry } = applyTransition(rec, { id: rec.id, to: 'RUNNING', runnerId }, t.now);
      step.changed.set(rec.id, record);
      step.changes.push({ id: rec.id, entry });
      return record;
    });
    if (fin) {
      for (const [id, rec] of fin.changed) step.changed.set(id, rec);
      step.changes.push(...fin.changes);
    }
    const finals = orch.write(c, step.changed, step.changes, t.now);
    if (step.requeue.length) void c.query(ROUTE, routeValues(step.requeue, d.channel));
    return { claim: 'ids' in found ? { items: running } : found, finals, done: fin?.out };
  }
}
