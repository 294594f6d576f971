/**
 * The hot path over shards: each step is the shard's own fused script (enqueue, claim_start,
 * finish_claim, lua/), so every atomic step still touches one slot. Claims go round the shards
 * (ClaimLoop); a runner's outcomes are written in their shards, after a claim round's plan (the
 * queue heads) says which shards hold the next work: a shard with outcomes claims its part in the
 * same script, the others by claim_start, all at once (two round trips per batch).
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
      // What comes first across the shards decides where the next work is claimed: a shard with
      // outcomes claims its count in the same script (finish_claim), any other by claim_start.
      const plan =
        max > 0
          ? await loop.planRound(
              max,
              parts.map((p) => p.shard),
            )
          : undefined;
      const counts = new Map(plan?.counts);
      const writes = parts.map(async (p) => {
        const n = counts.get(p.shard) ?? 0;
        counts.delete(p.shard);
        const s = shards.shards[p.shard]!;
        const res: FinishAndClaim =
          n > 0
            ? await s.hot.finishAndClaim(p.items, n, runnerId)
            : { done: await s.hot.transitionAndRoute(p.items, Date.now()), started: [] };
        p.at.forEach((at, k) => (out[at] = res.done[k]!));
        started.push(...learnt(p.shard, res.started));
      });
      const claims = [...counts].map(async ([k, n]) => {
        started.push(...learnt(k, await shards.shards[k]!.hot.claimAndStart(n, 0, runnerId)));
      });
      await Promise.all([...writes, ...claims]);
      const rank = (r: InvocationRecord) => plan?.rank.get(r.id) ?? Infinity;
      started.sort((a, b) => rank(a) - rank(b) || claimOrder(a, b));
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
