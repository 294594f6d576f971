/**
 * The LISTEN connection: one dedicated client (outside the pool) that receives this schema's
 * NOTIFY wake-ups. When it drops, it reconnects with backoff (reconnectDelayMs) and says so in
 * the log; `onState` tells the backend to fall back to a slow poll meanwhile.
 */
import pg from 'pg';
import type { Logger } from '../../core/logger.js';
import { reconnectDelayMs } from '../common/connection-utils.js';
import { quoteIdent } from './connection.js';

interface ListenerHooks {
  /** `fromBackend`: the server process id of the connection that sent it. */
  onNotify(payload: string, fromBackend: number | undefined): void;
  /** true once listening (again), false when the connection is lost. */
  onState(listening: boolean): void;
  /** Before LISTEN (onState(true) makes claimers look again): this session's own statements (claim-waiters.ts). */
  setup?(c: pg.Client): Promise<void>;
  /** Before the connection closes for good. */
  teardown?(c: pg.Client): Promise<void>;
}

export class PgListener {
  private client?: pg.Client;
  private closed = false;
  private failures = 0;
  private lostAt = 0;
  private timer?: NodeJS.Timeout;
  listening = false;

  constructor(
    private readonly cfg: pg.ClientConfig,
    private readonly channel: string,
    private readonly hooks: ListenerHooks,
    private readonly log: Logger,
  ) {}

  /** First connection: a failure here is thrown (the backend refuses to start). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const c = new pg.Client(this.cfg);
    c.on('error', (err) => this.lost(c, err));
    c.on('end', () => this.lost(c, new Error('connection ended')));
    c.on('notification', (m) => {
      if (m.channel === this.channel) {
        this.hooks.onNotify(m.payload ?? '', m.processId);
      }
    });
    try {
      await c.connect();
      await this.hooks.setup?.(c);
      await c.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (err) {
      c.removeAllListeners();
      c.on('error', () => {});
      await c.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await c.end().catch(() => {});
      return;
    }
    this.client = c;
    this.listening = true;
    this.hooks.onState(true);
  }

  private lost(c: pg.Client, err: Error): void {
    if (c !== this.client) {
      return;
    }
    this.client = undefined;
    c.removeAllListeners();
    c.on('error', () => {});
    void c.end().catch(() => {});
    if (this.closed) {
      return;
    }
    this.listening = false;
    this.lostAt = Date.now();
    this.log.warn('postgres LISTEN connection lost; polling slowly until it is back', {
      channel: this.channel,
      error: err.message,
    });
    this.hooks.onState(false);
    this.reconnectLater();
  }

  private reconnectLater(): void {
    const delay = reconnectDelayMs(this.failures + 1);
    this.timer = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.closed) {
            return;
          }
          this.log.info('postgres LISTEN connection restored', {
            channel: this.channel,
            attempts: this.failures + 1,
            downMs: Date.now() - this.lostAt,
          });
          this.failures = 0;
        },
        (err: Error) => {
          if (this.closed) {
            return;
          }
          this.failures++;
          this.log.debug('postgres LISTEN reconnect failed', {
            channel: this.channel,
            error: err.message,
            attempt: this.failures,
          });
          this.reconnectLater();
        },
      );
    }, delay);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    this.listening = false;
    if (c) {
      await this.hooks.teardown?.(c).catch(() => {});
      c.removeAllListeners();
      c.on('error', () => {});
      await c.end().catch(() => {});
    }
  }
}
