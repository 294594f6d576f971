/**
 * `[monitor] keep_logs = true`: task log lines (those carrying an invocation id) are batched and
 * stored through the state backend, so the web invocation page can show them. Batching keeps a
 * chatty task from costing one write per line; a failed write is reported once and dropped, never
 * thrown into task code.
 */
import type { StateBackend } from '../backends/state-backend.js';
import type { LogLine } from '../core/logger.js';
import type { LogRecord } from '../core/records.js';

export class LogShipper {
  private buf: LogRecord[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private warned = false;

  constructor(
    private readonly state: () => Promise<StateBackend>,
    private readonly flushMs = 200,
    private readonly maxBatch = 500,
  ) {}

  /** Keeps the line when it belongs to an invocation (ctx.logger lines do). */
  push(line: LogLine): void {
    const { invocation, level, msg, at, ...fields } = line;
    if (typeof invocation !== 'string') {
      return;
    }
    this.buf.push({ invocationId: invocation, at, level, message: msg, fields });
    if (this.buf.length >= this.maxBatch) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; resolves once every earlier line is stored (or dropped on error). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buf;
    this.buf = [];
    this.flushing = this.flushing.then(async () => {
      if (!batch.length) {
        return;
      }
      try {
        await (await this.state()).appendLogs(batch);
      } catch (err) {
        if (!this.warned) {
          process.stderr.write(
            `taskapp: could not store ${batch.length} log lines for the monitor: ${(err as Error).message}\n`,
          );
        }
        this.warned = true;
      }
    });
    return this.flushing;
  }
}
