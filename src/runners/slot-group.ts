/** Capacity of several Slots at once (one per child process): free for new work when any member is. */
import type { Capacity, Slots } from './slots.js';

export class SlotGroup implements Capacity {
  private waiters: Array<() => void> = [];

  constructor(private readonly members: () => Slots[]) {}

  get claimable(): number {
    return this.members().reduce((n, s) => n + s.claimable, 0);
  }

  whenClaimable(): Promise<void> {
    if (this.claimable > 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A member freed a slot (or a member was added). */
  notify(): void {
    if (this.claimable > 0) {
      this.wakeAll();
    }
  }

  wakeAll(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      w();
    }
  }
}
