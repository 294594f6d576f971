import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection now, whether or not node was started with --expose-gc. Call it twice
 * (with a turn in between) to measure what is kept: the first may only queue finalizers and weak
 * references whose memory the second frees.
 */
export function fullGc(): void {
  const gc =
    (globalThis as { gc?: () => void }).gc ??
    (setFlagsFromString('--expose-gc'), runInNewContext('gc') as () => void);
  gc();
}

/** The V8 heap in use in MB after two full collections: what this process keeps. */
export async function keptHeapMb(): Promise<number> {
  fullGc();
  await new Promise((r) => setImmediate(r));
  fullGc();
  return Math.round(process.memoryUsage().heapUsed / 1048576);
}
