/**
 * The hot path over shards: each step is the shard's own fused script (enqueue, claim_start,
 * finish_claim, lua/), so every atomic step still touches one slot. Claims go round the shards
 * (ClaimLoop); a runner's outcomes are written in their shards, each shard's write claiming a share
 * of the next work in proportion to the outcomes it took (one round trip per shard it works on),
 * and a claim round fills what those shards lacked.
 */
import type { InvocationRecord, RouteRequest } from '../../../core/records.js';
import type { FinishAndClaim, HotPath } from '../../hot-path.js';
import type { ClaimLoop } from './claim-loop.js';
import type { Shard } from './shard.js';
import type { ShardMap } from './shards.js';

/** Priority first, then id (time-ordered for ids taskapp makes): the claim loop's order. */
const claimOrder = (a: InvocationRecord, b: InvocationRecord) =>
  b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function shardedHotPath(shards: ShardMap<Shard>, loop: ClaimLoop): HotPath {
  // Claimed records came from shard k: their later writes go there.
  const learnt = (k: number, recs: InvocationRecord[]) => {
    shards.learn(
      k,
      recs.map((r) => r.id),
    );
    return recs;
  };
  return {
    async enqueue(invs, now) {
      await shards.placeNew(invs);
      const target = new Map(invs.map((inv) => [inv.id, shards.targetOf(inv)]));
      return shards.scatter(
        invs,
        (i) => i.id,
        (s, part) => s.hot.enqueue(part, now),
        (id) => target.get(id)!,
      );
    },
    claimAndStart(max, waitMs, runnerId) {
      return loop.claim(
        max,
        waitMs,
        async (k, n) => learnt(k, await shards.shards[k]!.hot.claimAndStart(n, 0, runnerId)),
        (r) => r.id,
      );
    },
    async finishAndClaim(done, max, runnerId) {
      const out = new Array<InvocationRecord | Error>(done.length);
      const started: InvocationRecord[] = [];
      const parts = shards.group(done, (r) => r.id);
      let share = max;
      await Promise.all(
        parts.map(async (p, i) => {
          // Floor of the proportional share; the last part takes what is left.
          const n =
            i === parts.length - 1 ? share : Math.floor((max * p.items.length) / done.length);
          share -= n;
          const s = shards.shards[p.shard]!;
          const res: FinishAndClaim =
            n > 0
              ? await s.hot.finishAndClaim(p.items, n, runnerId)
              : { done: await s.hot.transitionAndRoute(p.items, Date.now()), started: [] };
          p.at.forEach((at, k) => (out[at] = res.done[k]!));
          started.push(...learnt(p.shard, res.started));
        }),
      );
      if (started.length < max) {
        // The shards worked on had less than a share: the rest from any shard, without waiting.
        started.push(...(await this.claimAndStart(max - started.length, 0, runnerId)));
        started.sort(claimOrder);
      }
      return { done: out, started };
    },
    transitionAndRoute(reqs: RouteRequest[], now) {
      return shards.scatter(
        reqs,
        (r) => r.id,
        (s, part) => s.hot.transitionAndRoute(part, now),
      );
    },
    async requeueStranded(before, now, limit) {
      const out: InvocationRecord[] = [];
      for (const s of shards.shards) {
        if (out.length >= limit) {
          break;
        }
        out.push(...(await s.hot.requeueStranded(before, now, limit - out.length)));
      }
      return out;
    },
  };
}
