/**
 * Cancel requests across processes: PUBLISH on the app's cancel channel; one subscriber connection
 * per backend (opened by the first runner that subscribes) hands them to this process's runners.
 */
import type { CancelRequest, CancelSignals } from '../cancel-signals.js';
import { CancelBus, parseCancelMessage } from '../common/cancel-bus.js';
import type { RedisClient, RedisConn } from './connection.js';

export class RedisCancelSignals implements CancelSignals {
  private readonly bus = new CancelBus();
  private sub?: RedisClient;
  /** The SUBSCRIBE in progress or done (failures are logged, not thrown). */
  private subscribed: Promise<void> = Promise.resolve();

  constructor(private readonly conn: RedisConn) {}

  async publish(reqs: CancelRequest[]): Promise<void> {
    if (reqs.length) {
      const msg = JSON.stringify(reqs);
      await this.conn.retrying(() => this.conn.main.publish(this.conn.keys.cancelChannel, msg));
    }
  }

  subscribe(listener: (reqs: CancelRequest[]) => void): () => void {
    if (!this.sub) {
      const channel = this.conn.keys.cancelChannel;
      const sub = (this.sub = this.conn.duplicate('cancel-sub'));
      sub.on('message', (_ch: string, msg: string) => this.bus.deliver(parseCancelMessage(msg)));
      // ioredis resubscribes after a reconnect (autoResubscribe).
      this.subscribed = sub.subscribe(channel).then(
        () => undefined,
        (err: Error) =>
          this.conn.logger.warn('redis cancel subscribe failed', { error: err.message }),
      );
    }
    return this.bus.subscribe(listener);
  }

  ready(): Promise<void> {
    return this.subscribed;
  }
}
