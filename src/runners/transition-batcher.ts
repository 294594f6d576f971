/**
 * Collects status changes made in the same turn of the event loop and writes them in one
 * `transitionMany` round trip (completions of many tasks at once become one transaction); while
 * one write is out, the changes made meanwhile wait for it and then go out as the next one. A claim
 * loop may instead `take` what is queued and write it together with its next claim
 * (HotPath.finishAndClaim); while it is about to (`hold`), the batcher leaves the queue to it.
 */
import type { InvocationRecord, RouteRequest } from '../core/records.js';

/** Where a batch is written: the orchestrator, or a writer that routes RETRY outcomes with their status (base.ts). */
export interface ChangeWriter {
  transitionMany(reqs: RouteRequest[], now: number): Promise<Array<InvocationRecord | Error>>;
}

export type PendingChange = {
  req: RouteRequest;
  resolve: (r: InvocationRecord) => void;
  reject: (e: unknown) => void;
};

export class TransitionBatcher {
  private queue: PendingChange[] = [];
  private scheduled = false;
  private held = false;

  constructor(
    private readonly orchestrator: ChangeWriter,
    private readonly maxBatch = 500,
  ) {}

  submit(req: RouteRequest): Promise<InvocationRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.schedule();
    });
  }

  /** While held, queued changes wait for `take`; releasing flushes what is left on the next turn. */
  hold(on: boolean): void {
    this.held = on;
    if (!on && this.queue.length) {
      this.schedule();
    }
  }

  /** Removes and returns up to `max` queued changes; the caller writes them and calls `settle`. */
  take(max = this.maxBatch): PendingChange[] {
    return this.queue.splice(0, max);
  }

  /** Answers taken changes with what writing them returned (in order), or with the error that failed them all. */
  static settle(batch: PendingChange[], results: Array<InvocationRecord | Error> | Error): void {
    if (results instanceof Error) {
      for (const p of batch) {
        p.reject(results);
      }
      return;
    }
    results.forEach((r, i) => (r instanceof Error ? batch[i]!.reject(r) : batch[i]!.resolve(r)));
  }

  private schedule(): void {
    if (this.scheduled) {
      return;
    }
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  /** One write at a time: what is submitted meanwhile waits and goes out together, in the next. */
  private flushing = false;

  private async flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing) {
      return;
    }
    this.flushing = true;
    try {
      while (this.queue.length && !this.held) {
        const batch = this.take();
        try {
          TransitionBatcher.settle(
            batch,
            await this.orchestrator.transitionMany(
              batch.map((p) => p.req),
              Date.now(),
            ),
          );
        } catch (err) {
          TransitionBatcher.settle(batch, err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
