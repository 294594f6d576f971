/**
 * Cancel requests across processes on one SQLite file: a row per request (cancel_requests), read
 * by each process with runners when PRAGMA data_version says another connection wrote (one check
 * per poll interval per process, not per invocation); runners in this process hear them at once.
 */
import type { CancelRequest, CancelSignals } from '../cancel-signals.js';
import { CancelBus } from '../common/cancel-bus.js';
import type { SqliteDb } from './db.js';

/** Rows older than this are deleted by the next publisher: every live runner has read them. */
const KEEP_MS = 3600_000;

export class SqliteCancelSignals implements CancelSignals {
  private readonly bus = new CancelBus();
  private timer?: NodeJS.Timeout;
  private lastSeq = 0;

  constructor(private readonly db: SqliteDb) {}

  async publish(reqs: CancelRequest[]): Promise<void> {
    if (!reqs.length) {
      return;
    }
    const now = Date.now();
    this.db.write(() => {
      const ins = this.db.db.prepare(
        'INSERT INTO cancel_requests (inv_id, reason, at) VALUES (?, ?, ?)',
      );
      for (const r of reqs) {
        ins.run(r.id, r.reason, now);
      }
      this.db.db.prepare('DELETE FROM cancel_requests WHERE at < ?').run(now - KEEP_MS);
    });
    // This connection's own commits do not change its data_version: tell local runners directly.
    this.bus.deliver(reqs);
  }

  subscribe(listener: (reqs: CancelRequest[]) => void): () => void {
    const off = this.bus.subscribe(listener);
    if (!this.timer) {
      this.watch();
    }
    return () => {
      off();
      if (this.bus.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private watch(): void {
    this.lastSeq = this.db.read(
      () =>
        (
          this.db.db.prepare('SELECT MAX(seq) AS m FROM cancel_requests').get() as {
            m: number | null;
          }
        ).m ?? 0,
    );
    const changed = this.db.changeDetector();
    const read = this.db.db.prepare(
      'SELECT seq, inv_id AS id, reason FROM cancel_requests WHERE seq > ? ORDER BY seq',
    );
    this.timer = setInterval(() => {
      if (!this.db.db.open || !changed()) {
        return;
      }
      try {
        const rows = read.all(this.lastSeq) as Array<CancelRequest & { seq: number }>;
        if (rows.length) {
          this.lastSeq = rows[rows.length - 1]!.seq;
          this.bus.deliver(rows.map((r) => ({ id: r.id, reason: r.reason })));
        }
      } catch {
        /* busy or closing: the next tick reads from the same point */
      }
    }, this.db.pollIntervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
