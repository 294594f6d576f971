/** The in-process half of CancelSignals: listeners in this process, fed by publishers here or by a backend's channel. */
import type { CancelRequest, CancelSignals } from '../cancel-signals.js';

export class CancelBus implements CancelSignals {
  private readonly listeners = new Set<(reqs: CancelRequest[]) => void>();

  get size(): number {
    return this.listeners.size;
  }

  async publish(reqs: CancelRequest[]): Promise<void> {
    this.deliver(reqs);
  }

  deliver(reqs: CancelRequest[]): void {
    if (!reqs.length) {
      return;
    }
    for (const l of this.listeners) {
      l(reqs);
    }
  }

  subscribe(listener: (reqs: CancelRequest[]) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/** Parses a channel message (a JSON array of {id, reason}); anything else is dropped. */
export function parseCancelMessage(msg: string): CancelRequest[] {
  try {
    const v = JSON.parse(msg) as unknown;
    return Array.isArray(v)
      ? v.filter(
          (r): r is CancelRequest =>
            typeof (r as CancelRequest)?.id === 'string' &&
            typeof (r as CancelRequest)?.reason === 'string',
        )
      : [];
  } catch {
    return [];
  }
}
