import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export const newInvocationId = (): string => randomUUID();

export function newRunnerId(kind: string): string {
  return `${kind}@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
