/**
 * Claiming across shards without a polling loop: each claimer tries the shards in turn (one script
 * each, starting from a rotating shard so that claims spread), and when none had work it waits on
 * every shard's wake-up marker at once (each shard's broker blocks in BZPOPMIN on its own slot, on
 * its own connection), retrying first the shard that woke it.
 */
import { RedisBroker } from '../broker.js';

interface Attempt {
  claimed: number;
  next: string | false;
}

/** What one attempt saw (ids taken, next delayed entry), keyed by the list it returned. */
const attempts = new WeakMap<object, Attempt>();

/**
 * A shard's broker whose claim loop is one attempt: the cross-shard loop (ClaimLoop) does the
 * waiting. Both the broker's claim and the hot path's claim-and-start come through claimVia.
 */
export class ShardBroker extends RedisBroker {
  override async claimVia<T>(
    _waitMs: number,
    attempt: (now: number) => Promise<{ out: T[]; claimed: number; next: string | false }>,
  ): Promise<T[]> {
    let seen: Attempt = { claimed: 0, next: false };
    const out = await super.claimVia(0, async (now) => {
      const r = await attempt(now);
      seen = { claimed: r.claimed, next: r.next };
      return r;
    });
    attempts.set(out, seen);
    return out;
  }
}

export class ClaimLoop {
  private interrupted = false;
  private next = 0;

  constructor(private readonly brokers: readonly ShardBroker[]) {}

  /**
   * Up to `max` items from the shards, `one(k, n)` claiming at most n from shard k in one attempt
   * (through a ShardBroker); waits up to `waitMs` for the first.
   */
  async claim<T>(
    max: number,
    waitMs: number,
    one: (shard: number, max: number) => Promise<T[]>,
  ): Promise<T[]> {
    this.interrupted = false;
    const n = this.brokers.length;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const got: T[] = [];
      let busy = false;
      let due = Infinity;
      const first = this.next;
      this.next = (this.next + 1) % n;
      for (let i = 0; i < n && got.length < Math.max(1, max); i++) {
        const out = await one((first + i) % n, Math.max(1, max) - got.length);
        const seen = attempts.get(out) ?? { claimed: 0, next: false };
        got.push(...out);
        busy ||= seen.claimed > 0;
        if (seen.next !== false) {
          due = Math.min(due, Number(seen.next));
        }
      }
      if (got.length) {
        return got;
      }
      const now = Date.now();
      const left = deadline - now;
      if (left <= 0 || this.interrupted) {
        return [];
      }
      if (busy) {
        continue; // ids taken but none yielded (duplicates, concurrency): try again at once
      }
      const woke = await this.waitAny(Math.max(1, Math.min(left, due - now)));
      if (this.interrupted) {
        return [];
      }
      this.next = woke;
    }
  }

  /** Waits for any shard's marker (or `ms`); answers the shard that woke first. */
  private waitAny(ms: number): Promise<number> {
    return Promise.race(this.brokers.map((b, k) => b.waitForWork(ms).then(() => k)));
  }

  interrupt(): void {
    this.interrupted = true;
    this.brokers.forEach((b) => b.interrupt());
  }
}
