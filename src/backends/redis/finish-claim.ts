/**
 * lua/finish_claim.lua from the client's side: a runner's outcomes (one batch, at most BATCH) and up
 * to `max` claims in one script. The outcomes of records this process started (StartedRecords) are
 * written compact: the script replies only what it decided (owner, attempt), the client builds the
 * rest. Shared by the hot path (outcomes with the next claim) and the orchestrator (a runner's
 * outcomes that go out on their own, `max` 0).
 */
import type { InvocationRecord, RouteRequest } from '../../core/records.js';
import { isFinal } from '../../core/status.js';
import { REROUTE_DELAY_MS } from '../../orchestration/concurrency.js';
import type { FinishAndClaim } from '../hot-path.js';
import { afterWrite, type StartedRecords, type WriteOutcome } from '../common/started-records.js';
import {
  FINAL_ROW_MAX,
  pushTransitionArgs,
  toRecord,
  toRecords,
  toRow,
  transitionError,
} from './codec.js';
import type { RedisConn } from './connection.js';
import type { RedisFinals } from './finals.js';

export async function finishClaim(
  c: RedisConn,
  finals: RedisFinals,
  running: StartedRecords,
  reqs: RouteRequest[],
  max: number,
  runnerId: string,
  now: number,
): Promise<FinishAndClaim> {
  // Compact results only when every record of the batch is known here (a change written by
  // another path, e.g. after a restart, gets whole records).
  const known = running.allOf(reqs);
  // Built in place: spreading the changes' values into the list was a copy per batch.
  const args = pushTransitionArgs(
    [
      String(now),
      String(Math.max(0, max)),
      runnerId,
      String(REROUTE_DELAY_MS),
      known ? '1' : '0',
      String(reqs.length),
    ],
    reqs,
  );
  if (known) {
    reqs.forEach((req, i) => args.push(finalRowArg(known[i]!, req, now)));
  }
  const reply = parseClaimReply(await c.guarded('finish_claim', args));
  const written = list<[boolean, string[]]>(reply.d).map(([ok, v], i) => {
    const req = reqs[i]!;
    if (!ok) {
      running.forget(req.id);
      return transitionError(req, v);
    }
    return known
      ? running.update(known[i]!, req, scriptLeft(known[i]!, v))
      : running.replace(toRecord(v)!);
  });
  finals.notifier.publish([
    ...toRecords(list(reply.f)),
    ...written.filter((r): r is InvocationRecord => !(r instanceof Error) && isFinal(r.status)),
  ]);
  return { done: written, started: running.add(toRecords(list(reply.s))) };
}

/** claim_start.lua's reply, and finish_claim.lua's with `d`. */
export type ClaimReply = { s: unknown; n: string | false; c: number; f: unknown; d?: unknown };
export const parseClaimReply = (reply: unknown) => JSON.parse(String(reply)) as ClaimReply;
/** cjson writes an empty list as {}. */
export const list = <T = string[]>(x: unknown): T[] => (Array.isArray(x) ? (x as T[]) : []);

/**
 * The record `req` leaves if the script writes it and it becomes final, as the JSON row the script
 * publishes to waiters (see publish_finals in lua/lib.lua), or '' (not final, or too long).
 */
function finalRowArg(prev: InvocationRecord, req: RouteRequest, now: number): string {
  // A path through RUNNING counts an attempt the script decides: that record is not known here.
  if (!isFinal(req.to) || req.via?.includes('RUNNING')) {
    return '';
  }
  const row = JSON.stringify(
    toRow(afterWrite(prev, req, { owner: null, attempt: prev.attempt, updatedAt: now })),
  );
  return row.length <= FINAL_ROW_MAX ? row : '';
}

/** What the script left besides the status: `v` = [owner or '', attempt (false: unchanged), updated]. */
const scriptLeft = (prev: InvocationRecord, v: Array<string | false>): WriteOutcome => ({
  owner: v[0] ? v[0] : null,
  attempt: v[1] ? Number(v[1]) : prev.attempt,
  updatedAt: v[2] ? Number(v[2]) : prev.updatedAt,
});
