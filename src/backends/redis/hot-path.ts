/**
 * The redis hot path (docs/architecture.md, section 4): enqueue is one script (insert + route, lua/enqueue.lua);
 * claim-and-start is one script (claim + acquire with concurrency control + RUNNING, blocked ones
 * back to the queue, lua/claim_start.lua); a runner's outcomes and its next claim are one script
 * (lua/finish_claim.lua). The records this hot path started are kept until their runner lets go of
 * them, so finish_claim replies only what it changed (owner, attempt) instead of whole records.
 */
import type { InvocationRecord } from '../../core/records.js';
import { REROUTE_DELAY_MS } from '../../orchestration/concurrency.js';
import type { HotPath } from '../hot-path.js';
import { clampPriority } from '../memory/broker.js';
import type { RedisBroker } from './broker.js';
import { jsonList, pairsToRecords, pushInsertArgs, toRecords } from './codec.js';
import type { RedisOrchestrator } from './orchestrator.js';
import { QUEUED_STATUSES } from '../../core/status.js';
import type { RedisConn } from './connection.js';
import type { RedisFinals } from './finals.js';
import { BATCH, chunks } from './state.js';
import { finishClaim, list, parseClaimReply } from './finish-claim.js';

export function redisHotPath(
  c: RedisConn,
  broker: RedisBroker,
  orch: RedisOrchestrator,
  finals: RedisFinals,
): HotPath {
  const running = orch.started;
  return {
    async enqueue(invs, now) {
      // Announced before they can be final: a result awaited here then starts without a read.
      finals.expectNew(invs.map((i) => i.id));
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
        const reply = parseClaimReply(
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
      const res = await finishClaim(
        c,
        finals,
        running,
        done.slice(head.length),
        max,
        runnerId,
        Date.now(),
      );
      return { done: [...head, ...res.done], started: res.started };
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
