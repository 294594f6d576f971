/**
 * Queue layout of one app on RabbitMQ:
 * - `<queue>`: durable, x-max-priority 9, the ids ready to run;
 * - `<queue>.delay.<ms>`: durable delay buckets; a message waits there with a per-message TTL (its
 *   remaining delay) and is dead-lettered back to `<queue>` through the `<queue>.x` exchange.
 *   Bucket k holds delays in (ms/2, ms], so a short delay never waits long behind a longer one at
 *   the head of its bucket (RabbitMQ expires messages from the head only);
 * - `<queue>.x`: direct exchange. Key `item` routes to `<queue>` and to every process's wake-up
 *   queue (so a delayed id coming due wakes idle claimers); key `wake` reaches the wake-up queues only.
 */
const MIN_BUCKET_MS = 128;
const MAX_BUCKET_MS = 2 ** 21; // ~35 min; longer delays hop through the top bucket again

export function delayBuckets(): number[] {
  const out: number[] = [];
  for (let ms = MIN_BUCKET_MS; ms <= MAX_BUCKET_MS; ms *= 2) {
    out.push(ms);
  }
  return out;
}

/** The bucket for a delay: the smallest one at least as long (the top one for longer delays). */
export function bucketFor(delayMs: number): number {
  let ms = MIN_BUCKET_MS;
  while (ms < delayMs && ms < MAX_BUCKET_MS) {
    ms *= 2;
  }
  return ms;
}

export interface Topology {
  queue: string;
  exchange: string;
  delayQueue(bucketMs: number): string;
}

export function topology(queue: string): Topology {
  return { queue, exchange: `${queue}.x`, delayQueue: (ms) => `${queue}.delay.${ms}` };
}

/** Every queue and exchange name of an app (for cleanup and purge). */
export function allQueues(t: Topology): string[] {
  return [t.queue, ...delayBuckets().map(t.delayQueue)];
}
