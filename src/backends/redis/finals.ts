/**
 * Final-result wake-ups across processes: the transition script PUBLISHes the ids that became final
 * on the app's channel, most with their records (publish_finals in lua/lib.lua); one subscriber
 * connection per backend hands those some local watch waits for to the FinalNotifier, and reads
 * the records of the others. Finals written by this process reach the notifier
 * directly (no round trip). Messages published while the subscriber reconnects are lost, so
 * every open watch re-reads once after each (re)subscription. While subscribed, every final of the app
 * reaches this process: a watch on invocations this process enqueued since (expectNew) and has
 * heard no final of starts without reading them, as on postgres.
 */
import { isFinal } from '../../core/status.js';
import type { InvocationRecord } from '../../core/records.js';
import { FinalNotifier } from '../common/final-notifier.js';
import type { FinalWatch } from '../state-backend.js';
import type { RedisClient, RedisConn } from './connection.js';
import { toRecords, type Row } from './codec.js';

export class RedisFinals {
  readonly notifier = new FinalNotifier();
  private sub?: RedisClient;
  /** Subscribed now: every final published since the subscription reaches onMessage. */
  private subscribed = false;

  constructor(
    private readonly conn: RedisConn,
    /** The final records among ids. */
    private readonly fetch: (ids: string[]) => Promise<InvocationRecord[]>,
    /** The channels finals are published on: every shard's for a sharded app (cluster/). */
    private readonly channels: string[] = [conn.keys.finalChannel],
  ) {}

  private ensureSubscribed(): void {
    if (this.sub) {
      return;
    }
    const channels = this.channels;
    const sub = (this.sub = this.conn.duplicate('sub', { autoResubscribe: false }));
    sub.on('ready', () => {
      sub.subscribe(...channels).then(
        () => {
          // A cluster's subscriber may move between nodes without a close seen here: there a
          // watch always takes its first look.
          this.subscribed = !this.conn.isCluster;
          // Finals published while unsubscribed were missed: every open watch re-reads, and what
          // was announced before is read.
          this.notifier.resync();
        },
        (err: Error) => this.conn.logger.warn('redis subscribe failed', { error: err.message }),
      );
    });
    sub.on('close', () => {
      this.subscribed = false;
    });
    sub.on('message', (_ch: string, msg: string) => {
      // After this turn's socket reads: a final this process wrote reaches its watch with the
      // script's reply, so no record has to be read again for it.
      setImmediate(() => void this.onMessage(msg));
    });
  }

  private async onMessage(msg: string): Promise<void> {
    let parts: unknown;
    try {
      parts = JSON.parse(msg);
    } catch {
      return;
    }
    if (!Array.isArray(parts)) {
      return;
    }
    // [...ids, rows?]: the records carried are handed over, only the others are read.
    const ids = parts.filter((x): x is string => typeof x === 'string');
    this.notifier.heard(ids);
    const last: unknown = parts[parts.length - 1];
    if (Array.isArray(last)) {
      const rows = (last as Row[]).filter((r) => this.notifier.watched([String(r[0])]).length);
      this.notifier.publish(toRecords(rows).filter((r) => isFinal(r.status)));
    }
    const want = this.notifier.watched(ids);
    if (!want.length) {
      return;
    }
    try {
      this.notifier.publish((await this.fetch(want)).filter((r) => isFinal(r.status)));
    } catch (err) {
      this.conn.logger.warn('could not read finished invocations', {
        error: (err as Error).message,
      });
    }
  }

  /**
   * Called before the write that stores `ids` is sent. Only while subscribed (since this process
   * first waited for a result: a process that only enqueues does not take every final message): a
   * final of one could otherwise be published before the subscription exists.
   */
  expectNew(ids: string[]): void {
    if (this.subscribed) {
      this.notifier.expectNew(ids);
    }
  }

  watch(ids: string[]): FinalWatch {
    this.ensureSubscribed();
    // No polling: each (re)subscription makes every open watch re-read (notifier.resync).
    const subscribed = () => this.subscribed;
    return this.notifier.watch(ids, {
      fetchFinal: async (want) => (await this.fetch(want)).filter((r) => isFinal(r.status)),
      get hearsAll() {
        return subscribed();
      },
    });
  }
}
