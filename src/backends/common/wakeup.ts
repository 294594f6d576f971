/** An in-process wake-up: `wait` resolves on the next `notify`, on timeout, or on `interrupt`. */
export class Wakeup {
  private waiters = new Set<() => void>();

  notify(): void {
    if (this.waiters.size === 0) {
      return;
    }
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) {
      w();
    }
  }

  /** Resolves true when woken, false on timeout. */
  wait(ms: number): Promise<boolean> {
    if (ms <= 0) {
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(woken);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.waiters.add(wake);
    });
  }
}
