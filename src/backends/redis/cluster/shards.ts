/**
 * How a sharded app is laid out on a Redis Cluster: N shards, each the single-slot backend under
 * its own hash-tagged key prefix, and the rule that finds an invocation's shard from its id alone
 * (core/ids.ts placementOf: the id's last 16 bits, modulo N), so no look-up asks every shard.
 */
import { ConfigError } from '../../../core/errors.js';
import { placementOf, hash16 } from '../../../core/ids.js';
import type { NewInvocation } from '../../../core/records.js';
import { placementScope } from '../../../orchestration/concurrency.js';

const SLOTS = 16384;

/** CRC16/XMODEM, the checksum Redis Cluster maps keys to slots with. */
function crc16(s: string): number {
  let crc = 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** The slot of a hash tag's content (what Redis computes for a key `...{tag}...`). */
export function tagSlot(tag: string): number {
  return crc16(tag) % SLOTS;
}

/**
 * The key prefix of each shard: `<base>{<app_id>:<k>}:`, where shard k's tag is the first of
 * `<app>:<k>`, `<app>:<k>.1`, ... whose slot falls in the k-th of `n` equal parts of the slot
 * space. Masters created with equal slot ranges (redis-cli --cluster create) then hold equal
 * numbers of shards, and every process derives the same prefixes.
 */
export function shardPrefixes(appId: string, configured: string | undefined, n: number): string[] {
  const base =
    configured === undefined
      ? 'taskapp:'
      : configured === '' || configured.endsWith(':')
        ? configured
        : `${configured}:`;
  if (/\{[^}]*\}/.test(base)) {
    throw new ConfigError(
      `redis.prefix "${configured}" holds a hash tag, which with redis.cluster would put every shard on one slot`,
      'remove the {...} part of redis.prefix: with redis.cluster each shard gets its own tag',
    );
  }
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const lo = Math.floor((k * SLOTS) / n);
    const hi = Math.floor(((k + 1) * SLOTS) / n);
    for (let j = 0; ; j++) {
      const tag = j === 0 ? `${appId}:${k}` : `${appId}:${k}.${j}`;
      const slot = tagSlot(tag);
      if (slot >= lo && slot < hi) {
        out.push(`${base}{${tag}}:`);
        break;
      }
    }
  }
  return out;
}

/** Items of one shard and where each stood in the caller's list. */
interface Part<X> {
  shard: number;
  items: X[];
  at: number[];
}

/** Shards indexed by invocation id: grouping, and calls per shard with results in the caller's order. */
export class ShardMap<S> {
  constructor(readonly shards: readonly S[]) {}

  get size(): number {
    return this.shards.length;
  }

  indexOf(id: string): number {
    return placementOf(id) % this.shards.length;
  }

  of(id: string): S {
    return this.shards[this.indexOf(id)]!;
  }

  get home(): S {
    return this.shards[0]!;
  }

  group<X>(items: readonly X[], idOf: (x: X) => string): Array<Part<X>> {
    const parts = new Map<number, Part<X>>();
    items.forEach((x, i) => {
      const shard = this.indexOf(idOf(x));
      let p = parts.get(shard);
      if (!p) {
        parts.set(shard, (p = { shard, items: [], at: [] }));
      }
      p.items.push(x);
      p.at.push(i);
    });
    return [...parts.values()];
  }

  /** One call per shard holding some of `items` (concurrently); result i answers items[i]. */
  async scatter<X, R>(
    items: readonly X[],
    idOf: (x: X) => string,
    fn: (shard: S, part: X[]) => Promise<R[]>,
  ): Promise<R[]> {
    const out = new Array<R>(items.length);
    await Promise.all(
      this.group(items, idOf).map(async (p) => {
        const res = await fn(this.shards[p.shard]!, p.items);
        p.at.forEach((i, k) => (out[i] = res[k]!));
      }),
    );
    return out;
  }

  /** One call per shard holding some of `items` (concurrently); their results concatenated. */
  async gather<X, R>(
    items: readonly X[],
    idOf: (x: X) => string,
    fn: (shard: S, part: X[]) => Promise<R[]>,
  ): Promise<R[]> {
    const parts = await Promise.all(
      this.group(items, idOf).map((p) => fn(this.shards[p.shard]!, p.items)),
    );
    return parts.flat();
  }

  /** The same call on every shard, concurrently. */
  all<R>(fn: (shard: S, k: number) => Promise<R>): Promise<R[]> {
    return Promise.all(this.shards.map(fn));
  }
}

/**
 * Refuses a new invocation whose id would put it outside the shard of its concurrency scope:
 * registration dedupe and running limits are exact only within one shard. Ids taskapp makes are
 * placed right (app/task.ts); a caller-given id may not be.
 */
export function checkPlacement(shards: ShardMap<unknown>, inv: NewInvocation): void {
  const scope = placementScope(inv.taskId, inv.registrationKey, inv.concurrency);
  if (scope === null) {
    return;
  }
  const want = hash16(scope) % shards.size;
  if (shards.indexOf(inv.id) !== want) {
    throw new ConfigError(
      `invocation id "${inv.id}" of task "${inv.taskId}" does not fall in the Redis Cluster shard of its concurrency scope "${scope}", where its registration and running limits are counted`,
      'let taskapp choose the id (do not pass one) for tasks with registration or running concurrency on a redis cluster, or end the id in the four hex digits of placementOf for that scope',
    );
  }
}
