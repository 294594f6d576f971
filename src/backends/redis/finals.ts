/**
 * Final-result wake-ups across processes: the transition script PUBLISHes the ids that became final
 * on the app's channel; one subscriber connection per backend reads the records some local watch
 * waits for and hands them to the FinalNotifier. Finals written by this process reach the notifier
 * directly (no round trip). Messages published while the subscriber reconnects are lost, so a
 * watch re-reads once after each (re)subscription.
 */
import { isFinal } from '../../core/status.js';
import type { InvocationRecord } from '../../core/records.js';
import { FinalNotifier } from '../common/final-notifier.js';
import type { FinalWatch } from '../state-backend.js';
import type { RedisClient, RedisConn } from './connection.js';

/** How often a waiting watch checks whether the subscription was (re)established meanwhile. */
const RESUBSCRIBE_CHECK_MS = 250;

export class RedisFinals {
  readonly notifier = new FinalNotifier();
  private sub?: RedisClient;
  /** Bumped each time the subscription is (re)established. */
  private epoch = 0;

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
          this.epoch++;
        },
        (err: Error) => this.conn.logger.warn('redis subscribe failed', { error: err.message }),
      );
    });
    sub.on('message', (_ch: string, msg: string) => {
      // After this turn's socket reads: a final this process wrote reaches its watch with the
      // script's reply, so no record has to be read again for it.
      setImmediate(() => void this.onMessage(msg));
    });
  }

  private async onMessage(msg: string): Promise<void> {
    let ids: string[];
    try {
      ids = JSON.parse(msg) as string[];
    } catch {
      return;
    }
    const want = this.notifier.watched(Array.isArray(ids) ? ids : []);
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

  watch(ids: string[]): FinalWatch {
    this.ensureSubscribed();
    let seen = this.epoch;
    return this.notifier.watch(ids, {
      fetchFinal: async (want) => (await this.fetch(want)).filter((r) => isFinal(r.status)),
      pollMs: RESUBSCRIBE_CHECK_MS,
      changedElsewhere: () => {
        if (seen === this.epoch) {
          return false;
        }
        seen = this.epoch;
        return true;
      },
    });
  }
}
