/**
 * The redis hot path (docs/architecture.md, section 4): enqueue is one script (insert + route, lua/enqueue.lua);
 * claim-and-start is one script (claim + acquire with concurrency control + RUNNING, blocked ones
 * back to the queue, lua/claim_start.lua); a runner's outcomes and its next claim are one script
 * (lua/finish_claim.lua).
 */
import type { InvocationRecord } from '../../core/records.js';
import { REROUTE_DELAY_MS } from '../../orchestration/concurrency.js';
import type { HotPath } from '../hot-path.js';
import { clampPriority } from '../memory/broker.js';
import type { RedisBroker } from './broker.js';
import {
  insertArgs,
  jsonList,
  toRecord,
  toRecords,
  transitionArgs,
  transitionError,
} from './codec.js';
import type { RedisOrchestrator } from './orchestrator.js';
import { isFinal, QUEUED_STATUSES } from '../../core/status.js';
import type { RedisConn } from './connection.js';
import type { RedisFinals } from './finals.js';
import { BATCH, chunks } from './state.js';

export function redisHotPath(
  c: RedisConn,
  broker: RedisBroker,
  orch: RedisOrchestrator,
  finals: RedisFinals,
): HotPath {
  return {
    async enqueue(invs, now) {
      const parts = await Promise.all(
        chunks(invs).map(async (part) => {
          const args: string[] = [String(now)];
          part.forEach((inv) =>
            args.push(...insertArgs([inv]), String(clampPriority(inv.priority))),
          );
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
        return { out: toRecords(list(reply.s)), claimed: reply.c, next: reply.n };
      });
    },
    async finishAndClaim(done, max, runnerId) {
      // One script for a batch the size of a claim; a bigger one writes its head on its own first.
      const head =
        done.length > BATCH ? await orch.write(done.slice(0, -BATCH), Date.now(), true) : [];
      const tail = done.slice(head.length);
      const reply = parse(
        await c.guarded('finish_claim', [
          String(Date.now()),
          String(Math.max(1, max)),
          runnerId,
          String(REROUTE_DELAY_MS),
          ...transitionArgs(tail),
        ]),
      );
      const written = list<[number, string[]]>(reply.d).map(([ok, v], i) =>
        ok ? toRecord(v)! : transitionError(tail[i]!, v),
      );
      finals.notifier.publish([
        ...toRecords(list(reply.f)),
        ...written.filter((r): r is InvocationRecord => !(r instanceof Error) && isFinal(r.status)),
      ]);
      return { done: [...head, ...written], started: toRecords(list(reply.s)) };
    },
    transitionAndRoute(reqs, now) {
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
          out.push(...toRecords(routed));
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
