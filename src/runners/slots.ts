/**
 * Concurrency slots of one runner. Invocations resuming after a wait get a slot before new work is
 * claimed, so a runner full of waiting parents always makes progress.
 */
export interface Capacity {
  /** Slots free for new work right now. */
  readonly claimable: number;
  /** Resolves when there is a slot for new work (or at once if there is). */
  whenClaimable(): Promise<void>;
  /** Wakes whenClaimable() waiters (shutdown). */
  wakeAll(): void;
}

export class Slots implements Capacity {
  private free: number;
  private readonly waiters: Array<() => void> = [];
  private freeWaiters: Array<() => void> = [];

  /** `onFree`: told whenever a slot becomes free for new work (pools of slots listen to it). */
  constructor(
    readonly size: number,
    private readonly onFree?: () => void,
  ) {
    this.free = size;
  }

  get available(): number {
    return this.free;
  }

  /** Slots free for new work: free ones not promised to resuming invocations. */
  get claimable(): number {
    return Math.max(0, this.free - this.waiters.length);
  }

  take(): void {
    this.free--;
  }

  /** For a resuming invocation: waits for a slot, ahead of new work. */
  acquire(): Promise<void> {
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) {
      next();
      return;
    }
    this.free++;
    const fw = this.freeWaiters;
    this.freeWaiters = [];
    for (const w of fw) {
      w();
    }
    this.onFree?.();
  }

  /** Resolves when there is a slot for new work (or at once if there is). */
  whenClaimable(): Promise<void> {
    if (this.claimable > 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.freeWaiters.push(resolve));
  }

  /** Wakes whenClaimable() waiters (shutdown). */
  wakeAll(): void {
    const fw = this.freeWaiters;
    this.freeWaiters = [];
    for (const w of fw) {
      w();
    }
  }
}
