import type { QueueItem } from '../../core/records.js';
import type { Broker } from '../broker.js';
import { clampPriority } from '../memory/broker.js';
import type { RedisClient, RedisConn } from './connection.js';
import { chunks } from './state.js';

/**
 * The queue is a sorted set scored by priority then routing order; delayed ids wait in a second
 * sorted set by time (lua/route.lua, lua/claim.lua). An idle claimer blocks in BZPOPMIN on a
 * wake-up marker that every route sets, on its own connection: no polling. A claim that finds ids
 * left re-sets the marker, so claimers in other processes wake in turn.
 */
export class RedisBroker implements Broker {
  private blocker?: RedisClient;
  private blockerId?: number;
  private blocking?: Promise<void>;
  private interrupted = false;
  private interruptWaiters = new Set<() => void>();

  constructor(private readonly conn: RedisConn) {}

  async route(items: QueueItem[]): Promise<void> {
    if (!items.length) {
      return;
    }
    const now = String(Date.now());
    await Promise.all(
      chunks(items, 1000).map((part) => {
        const args: string[] = [now];
        for (const it of part) {
          args.push(it.id, String(clampPriority(it.priority)), String(it.notBefore ?? 0));
        }
        return this.conn.script('route', args);
      }),
    );
  }

  async claim(max: number, waitMs: number): Promise<string[]> {
    return this.claimVia(waitMs, async (now) => {
      const [ids, next] = JSON.parse(
        String(await this.conn.guarded('claim', [String(now), String(Math.max(1, max))])),
      ) as [string[] | object, string | false];
      const got = Array.isArray(ids) ? ids : [];
      return { out: got, claimed: got.length, next };
    });
  }

  /**
   * The claim loop: runs `attempt` (one claiming script) until it yields something, blocking
   * between tries until a route wakes it, a delayed id is due, or `waitMs` pass. An attempt that
   * claimed ids but yields none (duplicates, or blocked by concurrency) is retried at once.
   */
  async claimVia<T>(
    waitMs: number,
    attempt: (now: number) => Promise<{ out: T[]; claimed: number; next: string | false }>,
  ): Promise<T[]> {
    this.interrupted = false;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { out, claimed, next } = await attempt(Date.now());
      if (out.length) {
        return out;
      }
      const now = Date.now();
      const left = deadline - now;
      if (left <= 0 || this.interrupted || this.conn.isClosing) {
        return [];
      }
      if (claimed > 0) {
        continue;
      }
      await this.waitForWork(
        next === false ? left : Math.max(1, Math.min(left, Number(next) - now)),
      );
      if (this.interrupted) {
        return [];
      }
    }
  }

  /**
   * Blocks until a route sets the marker, `ms` pass, or interrupt(). Public for a sharded app
   * (cluster/claim-loop.ts), whose claimers wait on every shard's marker at once.
   */
  async waitForWork(ms: number): Promise<void> {
    const interrupted = new Promise<void>((resolve) => this.interruptWaiters.add(resolve));
    // One BZPOPMIN per connection at a time; concurrent claimers of this broker share its wake-up.
    this.blocking ??= this.block(ms).finally(() => {
      this.blocking = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.blocking,
      interrupted,
      new Promise((r) => (timer = setTimeout(r, ms))),
    ]);
    clearTimeout(timer);
    this.interruptWaiters.clear();
  }

  private async block(ms: number): Promise<void> {
    const b = this.blocker ?? this.openBlocker();
    try {
      const got = await b.bzpopmin(this.conn.keys.marker, Math.max(0.001, ms / 1000));
      // Woken after the caller gave up (interrupt): leave the marker for the next claimer.
      if (got && this.interrupted && !this.conn.isClosing) {
        await this.conn.main.zadd(this.conn.keys.marker, 0, 'm');
      }
    } catch (err) {
      if (!this.conn.isClosing) {
        this.conn.logger.debug('redis blocking wait failed', { error: (err as Error).message });
      }
    }
  }

  private openBlocker(): RedisClient {
    const b = (this.blocker = this.conn.duplicate('block'));
    if (this.conn.isCluster) {
      // CLIENT ID and UNBLOCK would reach an arbitrary node: interrupt() lets the wait time out.
      return b;
    }
    b.on('ready', () => {
      b.client('ID').then(
        (id) => {
          this.blockerId = Number(id);
        },
        () => {},
      );
    });
    return b;
  }

  async queued(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(ids)) {
      const flags = (await this.conn.script('queued', part)) as number[];
      part.forEach((id, i) => flags[i] && out.add(id));
    }
    return out;
  }

  async count(): Promise<number> {
    const { ready, delayed } = this.conn.keys;
    const paused = await this.conn.retrying(() =>
      this.conn.main.smembers(this.conn.keys.pausedTasks),
    );
    const counts = await Promise.all(
      [ready, delayed, ...paused.map((t) => this.conn.keys.parked(t))].map((k) =>
        this.conn.retrying(() => this.conn.main.zcard(k)),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async purge(): Promise<void> {
    const { ready, delayed, marker } = this.conn.keys;
    const paused = await this.conn.retrying(() =>
      this.conn.main.smembers(this.conn.keys.pausedTasks),
    );
    const parked = paused.map((t) => this.conn.keys.parked(t));
    await this.conn.retrying(() => this.conn.main.del(ready, delayed, marker, ...parked));
  }

  interrupt(): void {
    this.interrupted = true;
    for (const w of this.interruptWaiters) {
      w();
    }
    this.interruptWaiters.clear();
    // Free the blocking connection at once rather than at its timeout.
    if (this.blocking && this.blockerId !== undefined && !this.conn.isClosing) {
      this.conn.main.client('UNBLOCK', this.blockerId).catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.interrupt();
  }
}
