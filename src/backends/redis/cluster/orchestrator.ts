import type { AcquireResult, InvocationRecord, TransitionRequest } from '../../../core/records.js';
import { InvocationNotFoundError } from '../../../core/errors.js';
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

  async transition(req: TransitionRequest, now: number): Promise<InvocationRecord> {
    const [out] = await this.transitionMany([req], now);
    if (out instanceof Error) {
      throw out;
    }
    return out!;
  }

  /** Each change in its invocation's shard; one not found there is looked for by its pointer. */
  async transitionMany(
    reqs: TransitionRequest[],
    now: number,
  ): Promise<Array<InvocationRecord | Error>> {
    const write = (rs: TransitionRequest[]) =>
      this.shards.scatter(
        rs,
        (r) => r.id,
        (s, part) => s.orchestrator.transitionMany(part, now),
      );
    const out = await write(reqs);
    const missed = reqs.filter((_, i) => out[i] instanceof InvocationNotFoundError);
    if (missed.length && (await this.shards.locate(missed.map((r) => r.id)))) {
      const again = await write(missed);
      let j = 0;
      out.forEach((r, i) => {
        if (r instanceof InvocationNotFoundError) {
          out[i] = again[j++]!;
        }
      });
    }
    return out;
  }

  async acquire(ids: string[], runnerId: string, now: number): Promise<AcquireResult> {
    const take = async (xs: string[]) => {
      const parts = await Promise.all(
        this.shards
          .group(xs, self)
          .map((p) => this.shards.shards[p.shard]!.orchestrator.acquire(p.items, runnerId, now)),
      );
      return {
        acquired: parts.flatMap((p) => p.acquired),
        requeue: parts.flatMap((p) => p.requeue),
      };
    };
    const res = await take(ids);
    // Neither acquired nor requeued: no longer waiting, or kept in another shard than its id's.
    const seen = new Set([...res.acquired.map((r) => r.id), ...res.requeue.map((q) => q.id)]);
    const missed = ids.filter((id) => !seen.has(id));
    if (missed.length && (await this.shards.locate(missed))) {
      const again = await take(missed);
      res.acquired.push(...again.acquired);
      res.requeue.push(...again.requeue);
    }
    return res;
  }

  async ownedByOthers(live: string[], statuses: string[]): Promise<InvocationRecord[]> {
    return this.fromEvery((s) => s.orchestrator.ownedByOthers(live, statuses));
  }

  async ownedBy(runnerId: string, statuses: string[]): Promise<InvocationRecord[]> {
    return this.fromEvery((s) => s.orchestrator.ownedBy(runnerId, statuses));
  }

  async staleIn(status: string, before: number): Promise<InvocationRecord[]> {
    return this.fromEvery((s) => s.orchestrator.staleIn(status, before));
  }

  /** Records from every shard, each remembered where it was found. */
  private async fromEvery(
    read: (s: Shard) => Promise<InvocationRecord[]>,
  ): Promise<InvocationRecord[]> {
    const parts = await this.shards.all(async (s, k) => {
      const recs = await read(s);
      this.shards.learn(
        k,
        recs.map((r) => r.id),
      );
      return recs;
    });
    return parts.flat();
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
