/**
 * How a sharded app is laid out on a Redis Cluster: N shards, each the single-slot backend under
 * its own hash-tagged key prefix, and the rule that finds an invocation's shard from its id alone
 * (core/ids.ts placementOf: the id's last 16 bits, modulo N), so no look-up asks every shard.
 */
import { ConfigError } from '../../../core/errors.js';
import { placementOf, hash16 } from '../../../core/ids.js';
import type { InvocationRecord, NewInvocation } from '../../../core/records.js';
import type { RedisConn } from '../connection.js';
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

/** A bound on the ids remembered as kept outside their natural shard (a cache: misses re-read). */
const MAX_PLACED_KEPT = 100_000;

/**
 * Shards indexed by invocation id: grouping, and calls per shard with results in the caller's
 * order. An id's shard is its natural one (its placement modulo the shard count), except for an
 * invocation whose id was given by the caller and falls outside its scope's or parent's shard
 * (targetOf): it is kept there, and a pointer `at:<id>` in its natural shard says which. Such ids are
 * remembered once seen (an insert, a claim, a reply of that shard); a look-up that misses reads
 * the pointer.
 */
export class ShardMap<S extends { conn: RedisConn }> {
  private readonly placed = new Map<string, number>();
  /** Ids whose pointer was read and absent, for reads that ask once (final-result watches). */
  private readonly pointerRead = new Set<string>();

  constructor(readonly shards: readonly S[]) {}

  get size(): number {
    return this.shards.length;
  }

  get home(): S {
    return this.shards[0]!;
  }

  natural(id: string): number {
    return placementOf(id) % this.shards.length;
  }

  indexOf(id: string): number {
    return this.placed.get(id) ?? this.natural(id);
  }

  of(id: string): S {
    return this.shards[this.indexOf(id)]!;
  }

  /**
   * Where a new invocation is kept: with its concurrency scope (exact limits), else with its parent
   * (purge keeps a child while its parent is not final by looking in the child's shard), else in
   * its id's shard. Ids taskapp makes already fall there (app/task.ts); a given id may not.
   */
  targetOf(inv: NewInvocation): number {
    const scope = placementScope(inv.taskId, inv.registrationKey, inv.concurrency);
    if (scope !== null) {
      return hash16(scope) % this.shards.length;
    }
    return inv.parentId ? this.indexOf(inv.parentId) : this.natural(inv.id);
  }

  /**
   * Writes the pointers of new invocations kept outside their natural shard (before they are
   * stored: a pointer to nothing is harmless, an invocation nobody finds is not).
   */
  async placeNew(invs: readonly NewInvocation[]): Promise<void> {
    const away = invs.filter((inv) => this.targetOf(inv) !== this.natural(inv.id));
    await Promise.all(
      away.map((inv) => {
        const k = this.targetOf(inv);
        this.remember(inv.id, k);
        const { conn } = this.shards[this.natural(inv.id)]!;
        return conn.retrying(() => conn.main.set(pointerKey(conn, inv.id), String(k)));
      }),
    );
  }

  /** Notes that `ids` came back from shard `k`. */
  learn(k: number, ids: Iterable<string>): void {
    for (const id of ids) {
      if (this.natural(id) !== k) {
        this.remember(id, k);
      }
    }
  }

  /** Reads the pointers of `ids` (missed look-ups); true when one of them was found elsewhere. */
  async locate(ids: readonly string[]): Promise<boolean> {
    let found = false;
    await Promise.all(
      this.group(
        ids,
        (id) => id,
        (id) => this.natural(id),
      ).map(async (p) => {
        const { conn } = this.shards[p.shard]!;
        const at = await conn.retrying(() =>
          conn.main.mget(...p.items.map((id) => pointerKey(conn, id))),
        );
        at.forEach((k, i) => {
          if (k !== null && Number(k) !== this.indexOf(p.items[i]!)) {
            this.remember(p.items[i]!, Number(k));
            found = true;
          }
        });
      }),
    );
    return found;
  }

  private remember(id: string, k: number): void {
    if (this.placed.size >= MAX_PLACED_KEPT) {
      this.placed.clear();
    }
    this.placed.set(id, k);
  }

  group<X>(
    items: readonly X[],
    idOf: (x: X) => string,
    shardOf: (id: string) => number = (id) => this.indexOf(id),
  ): Array<Part<X>> {
    const parts = new Map<number, Part<X>>();
    items.forEach((x, i) => {
      const shard = shardOf(idOf(x));
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
    fn: (shard: S, part: X[], k: number) => Promise<R[]>,
    shardOf?: (id: string) => number,
  ): Promise<R[]> {
    const out = new Array<R>(items.length);
    await Promise.all(
      this.group(items, idOf, shardOf).map(async (p) => {
        const res = await fn(this.shards[p.shard]!, p.items, p.shard);
        p.at.forEach((i, k) => (out[i] = res[k]!));
      }),
    );
    return out;
  }

  /** One call per shard holding some of `items` (concurrently); their results concatenated. */
  async gather<X, R>(
    items: readonly X[],
    idOf: (x: X) => string,
    fn: (shard: S, part: X[], k: number) => Promise<R[]>,
  ): Promise<R[]> {
    const parts = await Promise.all(
      this.group(items, idOf).map((p) => fn(this.shards[p.shard]!, p.items, p.shard)),
    );
    return parts.flat();
  }

  /** The same call on every shard, concurrently. */
  all<R>(fn: (shard: S, k: number) => Promise<R>): Promise<R[]> {
    return Promise.all(this.shards.map(fn));
  }

  /**
   * Records by id from their shards, reading the pointers of those not found and asking again
   * (get_many, get_final).
   */
  async records(
    ids: readonly string[],
    read: (shard: S, part: string[]) => Promise<InvocationRecord[]>,
    opts: { pointerOnce?: boolean } = {},
  ): Promise<InvocationRecord[]> {
    const got = await this.gather(ids, (id) => id, read);
    const seen = new Set(got.map((r) => r.id));
    let missed = ids.filter((id) => !seen.has(id));
    if (opts.pointerOnce) {
      // A watch re-reads ids that are not final yet: their pointer (written before the insert,
      // so before any watch) is read on the first miss only.
      missed = missed.filter((id) => !this.pointerRead.has(id) && !this.placed.has(id));
      if (this.pointerRead.size + missed.length > MAX_PLACED_KEPT) {
        this.pointerRead.clear();
      }
      missed.forEach((id) => this.pointerRead.add(id));
    }
    if (missed.length && (await this.locate(missed))) {
      got.push(...(await this.gather(missed, (id) => id, read)));
    }
    return got;
  }
}

function pointerKey(conn: RedisConn, id: string): string {
  return `${conn.keys.prefix}at:${id}`;
}
