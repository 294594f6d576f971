import { randomFillSync, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Node builds a UUID by concatenating ~20 pieces, so it starts as a rope of ~14 string nodes
 * (about 450 bytes). An id is kept for the invocation's life (record, history, queue, handles):
 * reading one character makes V8 flatten it, and the next GC leaves one 36-character string
 * (about 50 bytes) in every place that holds it.
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/**
 * An invocation id: a time-ordered UUID (version 7, RFC 9562: 48 bits of epoch milliseconds, then
 * 74 random bits). Every index keyed by invocation id (the primary key, history by invocation) then
 * takes new entries at its recent end, in pages already in cache, however many older invocations it
 * holds; random (version 4) ids scatter them over the whole index, which outgrows the cache.
 */
export const newInvocationId = (): string => flat(uuidV7());

/** Random bytes drawn 4 KiB at a time (one call per 256 ids). */
const pool = Buffer.alloc(4096);
let used = pool.length;

function uuidV7(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const b = pool.subarray(used, used + 16);
  used += 16;
  // Not Date.now(): a workflow's determinism guard may have replaced it.
  b.writeUIntBE(Math.floor(performance.timeOrigin + performance.now()), 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function newRunnerId(kind: string): string {
  return `${kind}@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
