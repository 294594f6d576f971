/**
 * Keeps the queue table's dead rows few. Every claim deletes the rows it takes, and a claim's index
 * scan walks past every dead entry from the head of the queue until VACUUM removes them; autovacuum
 * comes once a minute at most (autovacuum_naptime), so until then each claim costs more the more
 * work went through: 20,000 dead rows made an empty claim read 81 buffers instead of none (0.55
 * instead of 0.25 ms), and the idle runners of a 4-runner bench each paid that for every single call.
 * So each process vacuums the queue itself after taking VACUUM_AFTER rows, at most once per
 * MIN_INTERVAL_MS, and as soon as a claim drains the queue after some work (an idle runner has the time).
 * VACUUM of the narrow queue table takes milliseconds and blocks no claim or insert; SKIP_LOCKED
 * skips it while another process's vacuum of it runs.
 */
import type { Logger } from '../../core/logger.js';

/** Rows taken before a busy process vacuums the queue. */
export const VACUUM_AFTER = 10_000;
/** Rows taken before a process whose claim drained the queue vacuums it. */
export const VACUUM_AFTER_DRAINED = 1_000;
const MIN_INTERVAL_MS = 1_000;

export class QueueVacuum {
  private takenSince = 0;
  private lastAt = 0;
  private running = false;
  private failedOnce = false;

  constructor(
    private readonly run: (sql: string) => Promise<unknown>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A claim took `n` rows (`drained`: it emptied the queue); may start a vacuum, never waits for it. */
  taken(n: number, drained: boolean): void {
    this.takenSince += n;
    const due = this.takenSince >= (drained ? VACUUM_AFTER_DRAINED : VACUUM_AFTER);
    const now = this.now();
    if (!due || this.running || now - this.lastAt < MIN_INTERVAL_MS) {
      return;
    }
    this.running = true;
    this.lastAt = now;
    this.takenSince = 0;
    this.run('VACUUM (SKIP_LOCKED) queue').then(
      () => {
        this.running = false;
      },
      (err: Error) => {
        this.running = false;
        // Maintenance only: claims stay correct, just dearer until autovacuum comes.
        if (!this.failedOnce) {
          this.failedOnce = true;
          this.log.warn('postgres: vacuum of the queue table failed; autovacuum will do it', {
            error: err.message,
          });
        }
      },
    );
  }
}
