/**
 * The redis hot path (DESIGN.md section 4): enqueue is one script (insert + route, lua/enqueue.lua);
 * claim-and-start is one script (claim + acquire with concurrency control + RUNNING, blocked ones
 * back to the queue, lua/claim_start.lua).
 */
import type { InvocationRecord } from '../../core/records.js';
import { REROUTE_DELAY_MS } from '../../orchestration/concurrency.js';
import type { HotPath } from '../hot-path.js';
import { clampPriority } from '../memory/broker.js';
import type { RedisBroker } from './broker.js';
import { insertArgs, jsonList, toRecords } from './codec.js';
import type { RedisConn } from './connection.js';
import type { RedisFinals } from './finals.js';
import { chunks } from './state.js';

export function redisHotPath(c: RedisConn, broker: RedisBroker, finals: RedisFinals): HotPath {
  return {
    async enqueue(invs, now) {
      const parts = await Promise.all(chunks(invs).map(async (part) => {
        const args: string[] = [String(now)];
        part.forEach((inv) => args.push(...insertArgs([inv]), String(clampPriority(inv.priority))));
        return jsonList<string>(await c.guarded('enqueue', args));
      }));
      return parts.flat();
    },
    async claimAndStart(max, waitMs, runnerId) {
      return broker.claimVia<InvocationRecord>(waitMs, async (now) => {
        const reply = JSON.parse(String(await c.guarded('claim_start', [String(now), String(Math.max(1, max)), runnerId, String(REROUTE_DELAY_MS)]))) as
          { s: unknown; n: string | false; c: number; f: unknown };
        const list = (x: unknown) => (Array.isArray(x) ? (x as string[][]) : []);
        finals.notifier.publish(toRecords(list(reply.f)));
        return { out: toRecords(list(reply.s)), claimed: reply.c, next: reply.n };
      });
    },
  };
}
