/**
 * The redis hot path (docs/architecture.md, section 4): enqueue is one script (insert + route, lua/enqueue.lua);
 * claim-and-start is one script (claim + acquire with concurrency control + RUNNING, blocked ones
 * back to the queue, lua/claim_start.lua); a runner's outcomes and its next claim are one script
 * (lua/finish_claim.lua). The records this hot path started are kept until their runner lets go of
 * them, so finish_claim replies only what it changed (owner, attempt) instead of whole records.
 */
import type { InvocationRecord, RouteRequest } from '../../core/records.js';
import { REROUTE_DELAY_MS } from '../../orchestration/concurrency.js';
import type { HotPath } from '../hot-path.js';
import { clampPriority } from '../memory/broker.js';
import type { RedisBroker } from './broker.js';
import {
  FINAL_ROW_MAX,
  jsonList,
  pairsToRecords,
  pushInsertArgs,
  toRecord,
  toRecords,
  toRow,
  pushTransitionArgs,
  transitionError,
} from './codec.js';
import type { RedisOrchestrator } from './orchestrator.js';
import { isFinal, QUEUED_STATUSES } from '../../core/status.js';
import type { RedisConn } from './connection.js';
import type { RedisFinals } from './finals.js';
import { BATCH, chunks } from './state.js';
import { afterWrite, StartedRecords, type WriteOutcome } from '../common/started-records.js';

export function redisHotPath(
  c: RedisConn,
  broker: RedisBroker,
  orch: RedisOrchestrator,
  finals: RedisFinals,
): HotPath {
  const running = new StartedRecords();
  return {
    async enqueue(invs, now) {
      const parts = await Promise.all(
        chunks(invs).map(async (part) => {
          const args: string[] = [String(now)];
          for (const inv of part) {
            pushInsertArgs(args, inv);
            args.push(String(clampPriority(inv.priority)));
          }
          return jsonList<string>(await c.guarded('enqueue', args));
        }),
      );
      return parts.flat();
    },
    async claimAndStart(max, waitMs, runnerId) {
      return broker.claimVia<InvocationRecord>(waitMs, async (now) => {
        const reply = parse(
          await c.guarded('claim_start', [
            String(now),
            String(Math.max(1, max)),
            runnerId,
            String(REROUTE_DELAY_MS),
          ]),
        );
        finals.notifier.publish(toRecords(list(reply.f)));
        return { out: running.add(toRecords(list(reply.s))), claimed: reply.c, next: reply.n };
      });
    },
    async finishAndClaim(done, max, runnerId) {
      // One script for a batch the size of a claim; a bigger one writes its head on its own first.
      const head =
        done.length > BATCH ? await orch.write(done.slice(0, -BATCH), Date.now(), true) : [];
      const tail = done.slice(head.length);
      const now = Date.now();
      // Compact results only when every record of the batch is known here (a change written by
      // another path, e.g. after a restart, gets whole records).
      const known = running.allOf(tail);
      // Built in place: spreading the changes' values into the list was a copy per batch.
      const args = pushTransitionArgs(
        [
          String(now),
          String(Math.max(0, max)),
          runnerId,
          String(REROUTE_DELAY_MS),
          known ? '1' : '0',
          String(tail.length),
        ],
        tail,
      );
      if (known) {
        tail.forEach((req, i) => args.push(finalRowArg(known[i]!, req, now)));
      }
      const reply = parse(await c.guarded('finish_claim', args));
      const written = list<[boolean, string[]]>(reply.d).map(([ok, v], i) => {
        const req = tail[i]!;
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
      head.forEach((r) => running.forget(r instanceof Error ? undefined : r.id));
      return { done: [...head, ...written], started: running.add(toRecords(list(reply.s))) };
    },
    transitionAndRoute(reqs, now) {
      reqs.forEach((r) => running.forget(r.id));
      return orch.write(reqs, now, true);
    },
    async requeueStranded(before, now, limit) {
      const out: InvocationRecord[] = [];
      for (const status of QUEUED_STATUSES) {
        // Pages of the status index, each one script (bounded time inside Redis); routing does not
        // change the index, so the offsets stay put.
        for (let offset = 0; out.length < limit; offset += STRANDED_PAGE) {
          const [routed, seen] = (await c.script('requeue_stranded', [
            status,
            String(before),
            String(offset),
            String(STRANDED_PAGE),
            String(now),
          ])) as [string[][], number];
          out.push(...pairsToRecords(routed));
          if (seen < STRANDED_PAGE) {
            break;
          }
        }
      }
      return out;
    },
  };
}

/** Invocations of one status index looked at per requeue_stranded script. */
const STRANDED_PAGE = 500;

type ClaimReply = { s: unknown; n: string | false; c: number; f: unknown; d?: unknown };
const parse = (reply: unknown) => JSON.parse(String(reply)) as ClaimReply;
/** cjson writes an empty list as {}. */
const list = <T = string[]>(x: unknown): T[] => (Array.isArray(x) ? (x as T[]) : []);

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
