import { randomUUID } from 'node:crypto';
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

export const newInvocationId = (): string => flat(randomUUID());

export function newRunnerId(kind: string): string {
  return `${kind}@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
