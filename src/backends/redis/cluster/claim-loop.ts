/**
 * Claiming across shards without a polling loop: a claim round reads the queue heads of the shards
 * that may have work and claims from each what comes first overall (priority, then id), one
 * script per shard; when none had work it waits on every shard's wake-up marker at once (each
 * shard's broker blocks in BZPOPMIN on its own slot, on its own connection).
 */
import { RedisBroker } from '../broker.js';
import type { RedisConn } from '../connection.js';

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

/**
 * A claimer skips the shards it found empty until their marker wakes it (every route sets it, and
 * a wait blocks on every shard's, so a marker set while it was busy wakes the next wait at once) or
 * their next delayed entry is due: an idle cycle costs no script per empty shard.
 */
/** How many to claim from each shard, and the place of each entry in the claim order. */
export interface ClaimPlan {
  counts: Map<number, number>;
  rank: Map<string, number>;
}

export class ClaimLoop {
  private interrupted = false;
  private next = 0;
  /** Per shard: found empty (no ready entry) and not woken since. */
  private readonly empty: boolean[];
  /** Per shard: when its earliest delayed entry is due (Infinity: none known). */
  private readonly due: number[];
  /** Per shard: wake-ups so far. A wait still pending from an earlier round may pop a marker
   * while an attempt is in flight: that attempt's "empty" is then stale and not kept. */
  private readonly wakes: number[];

  constructor(
    private readonly brokers: readonly ShardBroker[],
    /** The shards' connections, for reading their queue heads. */
    private readonly conns: readonly RedisConn[],
  ) {
    this.empty = brokers.map(() => false);
    this.due = brokers.map(() => Infinity);
    this.wakes = brokers.map(() => 0);
  }

  /**
   * Up to `max` items from the shards, `one(k, n)` claiming at most n from shard k in one attempt
   * (through a ShardBroker); waits up to `waitMs` for the first.
   */
  async claim<T>(
    max: number,
    waitMs: number,
    one: (shard: number, max: number) => Promise<T[]>,
    idOf: (x: T) => string,
  ): Promise<T[]> {
    this.interrupted = false;
    const n = this.brokers.length;
    const want = Math.max(1, max);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const got: T[] = [];
      let busy = false;
      const wokenBefore = this.woken();
      const first = this.next;
      this.next = (this.next + 1) % n;
      const live: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = (first + i) % n;
        if (!this.empty[k] || this.due[k]! <= Date.now()) {
          live.push(k);
        }
      }
      // Several shards may have work: their queue heads say which entries come first overall.
      const plan = live.length > 1 ? await this.plan(live, want) : undefined;
      const attempt = async (k: number, count: number) => {
        const wakes = this.wakes[k];
        const out = await one(k, count);
        const seen = attempts.get(out) ?? { claimed: 0, next: false };
        busy ||= seen.claimed > 0;
        this.empty[k] = out.length === 0 && seen.claimed === 0 && wakes === this.wakes[k];
        this.due[k] = seen.next === false ? Infinity : Number(seen.next);
        return out;
      };
      if (plan) {
        const parts = await Promise.all([...plan.counts].map(([k, c]) => attempt(k, c)));
        got.push(...parts.flat());
        const rank = (x: T) => plan.rank.get(idOf(x)) ?? Infinity;
        got.sort((x, y) => rank(x) - rank(y));
      } else {
        for (const k of live) {
          if (got.length >= want) {
            break;
          }
          got.push(...(await attempt(k, want - got.length)));
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
      if (busy || this.woken() !== wokenBefore) {
        // Ids taken but none yielded (duplicates, concurrency), or a shard woken after it was
        // tried (its marker is consumed): try again at once.
        continue;
      }
      const due = Math.min(...this.due);
      const woke = await this.waitAny(Math.max(1, Math.min(left, due - now)));
      if (this.interrupted) {
        return [];
      }
      this.next = woke;
    }
  }

  /**
   * A claim round's plan over the shards that may have work and `also` (those a runner just
   * finished work in): how many to claim from each, and each entry's place.
   */
  planRound(want: number, also: number[]): Promise<ClaimPlan> {
    const live = new Set(also);
    this.brokers.forEach((_, k) => {
      if (!this.empty[k] || this.due[k]! <= Date.now()) {
        live.add(k);
      }
    });
    return this.plan([...live], want);
  }

  /**
   * Which shards to claim how many from: the `want` first of every live shard's ready entries and
   * due delayed ones, by priority, then id (ids taskapp makes are time-ordered, so oldest first);
   * `rank` is each one's place. A shard with nothing ready is marked empty (its marker wakes it).
   */
  private async plan(live: number[], want: number): Promise<ClaimPlan> {
    const now = Date.now();
    const heads = await Promise.all(
      live.map(async (k) => {
        const { main, keys } = this.conns[k]!;
        const wakes = this.wakes[k];
        const res = await main
          .pipeline()
          .zrange(keys.ready, 0, want - 1, 'WITHSCORES')
          .zrangebyscore(keys.delayed, '-inf', now, 'LIMIT', 0, want)
          .exec();
        const ready = (res?.[0]?.[1] ?? []) as string[];
        const due = (res?.[1]?.[1] ?? []) as string[];
        const out: Array<{ k: number; id: string; prio: number }> = [];
        for (let i = 0; i < ready.length; i += 2) {
          out.push({ k, id: ready[i]!, prio: 9 - Math.floor(Number(ready[i + 1]) / 1e13) });
        }
        for (const m of due) {
          const bar = m.indexOf('|');
          out.push({ k, id: m.slice(bar + 1), prio: Number(m.slice(0, bar)) });
        }
        if (!out.length && wakes === this.wakes[k]) {
          this.empty[k] = true;
        }
        return out;
      }),
    );
    const first = heads
      .flat()
      .sort((a, b) => b.prio - a.prio || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, want);
    const counts = new Map<number, number>();
    const rank = new Map<string, number>();
    first.forEach((e, i) => {
      counts.set(e.k, (counts.get(e.k) ?? 0) + 1);
      rank.set(e.id, i);
    });
    return { counts, rank };
  }

  private woken(): number {
    return this.wakes.reduce((a, b) => a + b, 0);
  }

  /**
   * Waits for any shard's marker (or `ms`); answers the shard that woke first. Every shard whose
   * wait ends (its marker, or its timeout) is tried again.
   */
  private waitAny(ms: number): Promise<number> {
    return Promise.race(
      this.brokers.map((b, k) =>
        b.waitForWork(ms).then(() => {
          this.empty[k] = false;
          this.wakes[k]!++;
          return k;
        }),
      ),
    );
  }

  interrupt(): void {
    this.interrupted = true;
    this.brokers.forEach((b) => b.interrupt());
  }
}
