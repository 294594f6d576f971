import type { TaskPauses } from '../../task-pauses.js';
import type { Shard } from './shard.js';
import type { ShardMap } from './shards.js';

/**
 * A task's entries are in every shard: pause and resume run their script on each (each shard's
 * move is atomic; its claims check its own paused set). The paused set is read from the home shard.
 */
export class ShardedTaskPauses implements TaskPauses {
  constructor(private readonly shards: ShardMap<Shard>) {}

  async pause(task: string): Promise<number> {
    return sum(await this.shards.all((s) => s.pauses.pause(task)));
  }

  async resume(task: string): Promise<number> {
    return sum(await this.shards.all((s) => s.pauses.resume(task)));
  }

  paused(): Promise<string[]> {
    return this.shards.home.pauses.paused();
  }

  async parkedCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const counts of await this.shards.all((s) => s.pauses.parkedCounts())) {
      for (const [task, n] of Object.entries(counts)) {
        out[task] = (out[task] ?? 0) + n;
      }
    }
    return out;
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
