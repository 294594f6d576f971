/**
 * Collects status changes made in the same turn of the event loop and writes them in one
 * `transitionMany` round trip (completions of many tasks at once become one transaction).
 */
import type { Orchestrator } from '../backends/orchestrator.js';
import type { InvocationRecord, TransitionRequest } from '../core/records.js';

type Pending = { req: TransitionRequest; resolve: (r: InvocationRecord) => void; reject: (e: unknown) => void };

export class TransitionBatcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly orchestrator: Orchestrator, private readonly maxBatch = 500) {}

  submit(req: TransitionRequest): Promise<InvocationRecord> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.orchestrator.transitionMany(batch.map((p) => p.req), Date.now());
        results.forEach((r, i) => (r instanceof Error ? batch[i]!.reject(r) : batch[i]!.resolve(r)));
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }
}
