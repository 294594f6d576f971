import type { AcquireResult, InvocationRecord, TransitionRequest } from '../../../core/records.js';
import type { Orchestrator, PurgeScope } from '../../orchestrator.js';
import type { Shard } from './shard.js';
import type { ShardMap } from './shards.js';

const self = (id: string) => id;

/**
 * Status changes go to the invocation's shard, where one script validates and writes each, as on
 * one server; recovery's reads go to every shard; leases live in the home shard.
 */
export class ShardedOrchestrator implements Orchestrator {
  constructor(private readonly shards: ShardMap<Shard>) {}

  transition(req: TransitionRequest, now: number): Promise<InvocationRecord> {
    return this.shards.of(req.id).orchestrator.transition(req, now);
  }

  transitionMany(reqs: TransitionRequest[], now: number): Promise<Array<InvocationRecord | Error>> {
    return this.shards.scatter(
      reqs,
      (r) => r.id,
      (s, part) => s.orchestrator.transitionMany(part, now),
    );
  }

  async acquire(ids: string[], runnerId: string, now: number): Promise<AcquireResult> {
    const parts = await Promise.all(
      this.shards
        .group(ids, self)
        .map((p) => this.shards.shards[p.shard]!.orchestrator.acquire(p.items, runnerId, now)),
    );
    return {
      acquired: parts.flatMap((p) => p.acquired),
      requeue: parts.flatMap((p) => p.requeue),
    };
  }

  async ownedByOthers(live: string[], statuses: string[]): Promise<InvocationRecord[]> {
    return (await this.shards.all((s) => s.orchestrator.ownedByOthers(live, statuses))).flat();
  }

  async staleIn(status: string, before: number): Promise<InvocationRecord[]> {
    return (await this.shards.all((s) => s.orchestrator.staleIn(status, before))).flat();
  }

  claimStranded(ids: string[], before: number, now: number): Promise<InvocationRecord[]> {
    return this.shards.gather(ids, self, (s, part) =>
      s.orchestrator.claimStranded(part, before, now),
    );
  }

  tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.shards.home.orchestrator.tryLease(name, holder, ttlMs, now);
  }

  /** Shard after shard, each up to what is left of the limit. */
  async purge(before: number, scope?: PurgeScope): Promise<number> {
    const limit = scope?.limit ?? Infinity;
    let total = 0;
    for (const s of this.shards.shards) {
      if (total >= limit) {
        break;
      }
      total += await s.orchestrator.purge(before, {
        ...scope,
        ...(limit === Infinity ? {} : { limit: limit - total }),
      });
    }
    return total;
  }
}
