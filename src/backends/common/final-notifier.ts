/**
 * Waiting for invocations to become final. A backend publishes the final records it wrote in this
 * process (a wake-up at once, no re-read); a watch also re-reads the store every `pollMs` to see
 * changes made by other processes, where the backend has no cross-process wake-up, and only when
 * `changedElsewhere()` says the store changed.
 */
import type { InvocationRecord } from '../../core/records.js';
import type { FinalWatch } from '../state-backend.js';
import { MAX_TIMER_MS } from '../../core/limits.js';

interface FinalSource {
  fetchFinal(ids: string[]): Promise<InvocationRecord[]>;
  /** Re-read every this many ms (undefined: never, the publisher sees every change). Read before
   * each wait, so a getter may switch polling on while a cross-process wake-up channel is down. */
  readonly pollMs?: number;
  /** Cheap check before a poll re-read; absent: always re-read. */
  changedElsewhere?(): boolean;
  /**
   * True while every final of this store reaches this process (its wake-up channel is up): a watch
   * then need not read invocations this process announced with `expectNew` and has heard no final
   * of since. Read when the watch opens.
   */
  readonly hearsAll?: boolean;
}

/** At most this many new ids are remembered (the oldest go first: a watch on those reads them). */
const MAX_NEW = 50_000;

export class FinalNotifier {
  /** Id -> its watch, or a set when several watch it (rare: one Set per watched id cost ~100 bytes each). */
  private readonly byId = new Map<string, Watch | Set<Watch>>();
  private readonly watches = new Set<Watch>();
  /** Ids of invocations this process is storing, with no final heard of since (see expectNew). */
  private readonly unheard = new Set<string>();

  /**
   * Called before the write that stores `ids` is sent: until a final of one is published or
   * `heard`, a watch on it opened while the source `hearsAll` starts without reading the store
   * (the one read a just-called invocation's result would cost).
   */
  expectNew(ids: Iterable<string>): void {
    for (const id of ids) {
      this.unheard.add(id);
    }
    // Iterated only when over the bound: an iterator walks past every entry deleted since the
    // set's last rehash, and a busy producer's set sees tens of thousands of those.
    if (this.unheard.size > MAX_NEW) {
      for (const id of this.unheard) {
        this.unheard.delete(id);
        if (this.unheard.size <= MAX_NEW) {
          break;
        }
      }
    }
  }

  /** Finals of `ids` were announced (some other process wrote them): a later watch must read them. */
  heard(ids: Iterable<string>): void {
    if (this.unheard.size) {
      for (const id of ids) {
        this.unheard.delete(id);
      }
    }
  }

  /** Whether a watch on `ids` may skip its first read (each one new and unheard); forgets them. */
  takeUnheard(ids: string[]): boolean {
    if (!ids.every((id) => this.unheard.has(id))) {
      return false;
    }
    for (const id of ids) {
      this.unheard.delete(id);
    }
    return true;
  }

  publish(recs: Iterable<InvocationRecord>): void {
    for (const rec of recs) {
      this.unheard.delete(rec.id);
      const ws = this.byId.get(rec.id);
      if (ws instanceof Watch) {
        ws.deliver(rec);
      } else if (ws) {
        for (const w of ws) {
          w.deliver(rec);
        }
      }
    }
  }

  /** Those of `ids` some watch in this process still waits for (a cross-process wake-up re-reads only these). */
  watched(ids: Iterable<string>): string[] {
    const out: string[] = [];
    for (const id of ids) {
      if (this.byId.has(id)) {
        out.push(id);
      }
    }
    return out;
  }

  watch(ids: string[], source: FinalSource): FinalWatch {
    return new Watch(this, ids, source);
  }

  /**
   * Every watch re-reads the store at once: wake-ups from other processes may have been missed
   * (their channel was lost or has just come back).
   */
  resync(): void {
    this.unheard.clear();
    for (const w of this.watches) {
      w.resync();
    }
  }

  /** @internal */
  track(w: Watch, on: boolean): void {
    if (on) {
      this.watches.add(w);
    } else {
      this.watches.delete(w);
    }
  }

  /** @internal */
  subscribe(id: string, w: Watch): void {
    const ws = this.byId.get(id);
    if (ws === undefined) {
      this.byId.set(id, w);
    } else if (ws instanceof Watch) {
      if (ws !== w) {
        this.byId.set(id, new Set([ws, w]));
      }
    } else {
      ws.add(w);
    }
  }

  /** @internal */
  unsubscribe(id: string, w: Watch): void {
    const ws = this.byId.get(id);
    if (ws === w) {
      this.byId.delete(id);
    } else if (ws instanceof Set && ws.delete(w) && ws.size === 0) {
      this.byId.delete(id);
    }
  }
}

class Watch implements FinalWatch {
  private readonly remaining: Set<string>;
  /** Final records not yet returned by next() (each id is taken once: it leaves `remaining`). */
  private found: InvocationRecord[] = [];
  private wake: () => void = () => {};
  private fetchedOnce = false;
  private mustRefetch = false;

  constructor(
    private readonly notifier: FinalNotifier,
    ids: string[],
    private readonly source: FinalSource,
  ) {
    this.remaining = new Set(ids);
    for (const id of this.remaining) {
      notifier.subscribe(id, this);
    }
    notifier.track(this, true);
    // Subscribed first: a final published from here on reaches this watch.
    this.fetchedOnce = source.hearsAll === true && notifier.takeUnheard(ids);
  }

  resync(): void {
    this.mustRefetch = true;
    this.wake();
  }

  deliver(rec: InvocationRecord): void {
    if (!this.remaining.has(rec.id)) {
      return;
    }
    this.take(rec);
    this.wake();
  }

  private take(rec: InvocationRecord): void {
    this.remaining.delete(rec.id);
    this.notifier.unsubscribe(rec.id, this);
    this.found.push(rec);
  }

  private async refetch(): Promise<void> {
    if (this.remaining.size === 0) {
      return;
    }
    for (const rec of await this.source.fetchFinal([...this.remaining])) {
      if (this.remaining.has(rec.id)) {
        this.take(rec);
      }
    }
  }

  private drain(): InvocationRecord[] {
    const out = this.found;
    this.found = [];
    return out;
  }

  async next(timeoutMs: number, signal?: AbortSignal): Promise<InvocationRecord[]> {
    if (!this.fetchedOnce) {
      this.fetchedOnce = true;
      await this.refetch();
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.mustRefetch) {
        this.mustRefetch = false;
        await this.refetch();
      }
      if (this.found.length || this.remaining.size === 0) {
        return this.drain();
      }
      const pollMs = this.source.pollMs;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) {
        return [];
      }
      const woken = await new Promise<boolean>((resolve) => {
        const done = (w: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.wake = () => {};
          resolve(w);
        };
        const onAbort = () => done(true);
        // Capped: a longer timer would fire at once; the loop waits again until the deadline.
        const timer = setTimeout(() => done(false), Math.min(left, pollMs ?? left, MAX_TIMER_MS));
        this.wake = () => done(true);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (!woken && pollMs !== undefined && (this.source.changedElsewhere?.() ?? true)) {
        await this.refetch();
      }
    }
  }

  close(): void {
    for (const id of this.remaining) {
      this.notifier.unsubscribe(id, this);
    }
    this.remaining.clear();
    this.notifier.track(this, false);
  }
}
