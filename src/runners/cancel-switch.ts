/**
 * How a runner cancels an attempt it runs, at no cost until it is used: an AbortController and a
 * listener per invocation were a tenth of a busy thread runner's allocations. The attempt attaches
 * its abort once its context exists; a cancel that comes before is kept and applied then.
 */
export class CancelSwitch {
  private reason?: Error;
  private target?: (reason: Error) => void;

  /** Aborts the attempt's ctx.signal with `reason` (once; later calls do nothing). */
  cancel(reason: Error): void {
    if (this.reason) {
      return;
    }
    this.reason = reason;
    this.target?.(reason);
  }

  /** Called by the attempt with what aborts its signal; at once if the cancel came first. */
  attach(abort: (reason: Error) => void): void {
    this.target = abort;
    if (this.reason) {
      abort(this.reason);
    }
  }
}
