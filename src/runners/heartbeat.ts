/** Tells the state backend every `heartbeat_interval_seconds` that a runner is alive. */
import { hostname } from 'node:os';
import type { StateBackend } from '../backends/state-backend.js';
import type { RunnerInfo } from '../core/records.js';
import type { Logger } from '../core/logger.js';

export class Heartbeat {
  private timer?: NodeJS.Timeout;
  readonly info: RunnerInfo;

  constructor(
    private readonly state: StateBackend,
    id: string,
    kind: string,
    private readonly intervalMs: number,
    private readonly meta: () => Record<string, unknown>,
    private readonly logger: Logger,
  ) {
    const now = Date.now();
    this.info = {
      id,
      kind,
      hostname: hostname(),
      pid: process.pid,
      startedAt: now,
      heartbeatAt: now,
    };
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((err) =>
        this.logger.warn('heartbeat failed', { error: (err as Error).message }),
      );
    }, this.intervalMs);
    this.timer.unref();
  }

  beat(): Promise<void> {
    return this.state.heartbeat({ ...this.info, heartbeatAt: Date.now(), meta: this.meta() });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.state.removeRunner(this.info.id);
  }
}
