import type { QueueItem } from '../../../core/records.js';
import type { Broker } from '../../broker.js';
import type { ClaimLoop } from './claim-loop.js';
import type { Shard } from './shard.js';
import type { ShardMap } from './shards.js';

/** Each id is queued in its invocation's shard; claims go round the shards (ClaimLoop). */
export class ShardedBroker implements Broker {
  constructor(
    private readonly shards: ShardMap<Shard>,
    private readonly loop: ClaimLoop,
  ) {}

  async route(items: QueueItem[]): Promise<void> {
    await this.shards.gather(
      items,
      (it) => it.id,
      async (s, part) => {
        await s.broker.route(part);
        return [];
      },
    );
  }

  claim(max: number, waitMs: number): Promise<string[]> {
    return this.loop.claim(
      max,
      waitMs,
      async (k, n) => {
        const ids = await this.shards.shards[k]!.broker.claim(n, 0);
        this.shards.learn(k, ids);
        return ids;
      },
      (id) => id,
    );
  }

  async queued(ids: string[]): Promise<Set<string>> {
    const parts = await Promise.all(
      this.shards
        .group(ids, (id) => id)
        .map((p) => this.shards.shards[p.shard]!.broker.queued(p.items)),
    );
    return new Set(parts.flatMap((p) => [...p]));
  }

  async count(): Promise<number> {
    return (await this.shards.all((s) => s.broker.count())).reduce((a, b) => a + b, 0);
  }

  async purge(): Promise<void> {
    await this.shards.all((s) => s.broker.purge());
  }

  interrupt(): void {
    this.loop.interrupt();
  }

  async close(): Promise<void> {
    this.interrupt();
  }
}
