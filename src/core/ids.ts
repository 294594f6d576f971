import { randomFillSync, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * An invocation id: a time-ordered UUID (version 7, RFC 9562: 48 bits of epoch milliseconds, then
 * 74 random bits). Every index keyed by invocation id (the primary key, history by invocation) then
 * takes new entries at its recent end, in pages already in cache, however many older invocations it
 * holds; random (version 4) ids scatter them over the whole index, which outgrows the cache.
 */
export const newInvocationId = (placement?: number): string => uuidV7(placement);

/**
 * Where a sharded backend (Redis Cluster, src/backends/redis/cluster/) keeps an invocation: the
 * last 16 bits of its id (its last four hex digits), so a look-up by id needs no directory. They are
 * random for most ids; `newInvocationId(placement)` sets them, so that the invocations of one
 * concurrency scope share a shard (their registration and running counts stay exact there) and a
 * child sits next to its parent. An id given by the caller in another form hashes to its bits.
 */
export function placementOf(id: string): number {
  return /[0-9a-f]{4}$/i.test(id) ? parseInt(id.slice(-4), 16) : hash16(id);
}

/** 16 bits of FNV-1a over the string's UTF-16 code units: the placement of a scope key. */
export function hash16(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return (h ^ (h >>> 16)) & 0xffff;
}

/** The id's 36 characters are written here, then read out as one flat string (no pieces to join). */
const idChars = Buffer.alloc(36);
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const DASH = 0x2d;

/** Random bytes drawn 4 KiB at a time (one call per 256 ids). */
const pool = Buffer.alloc(4096);
let used = pool.length;

function uuidV7(placement?: number): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  // Written in place in the pool (a subarray per id was one more Buffer object each).
  const at = used;
  used += 16;
  // Not Date.now(): a workflow's determinism guard may have replaced it.
  pool.writeUIntBE(Math.floor(performance.timeOrigin + performance.now()), at, 6);
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x70;
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
  if (placement !== undefined) {
    pool.writeUInt16BE(placement & 0xffff, at + 14);
  }
  let o = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) {
      idChars[o++] = DASH;
    }
    const b = pool[at + i]!;
    idChars[o++] = HEX_DIGITS[b >> 4]!;
    idChars[o++] = HEX_DIGITS[b & 15]!;
  }
  return idChars.toString('latin1', 0, 36);
}

export function newRunnerId(kind: string): string {
  return `${kind}@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
