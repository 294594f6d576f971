/**
 * Broker role on RabbitMQ (amqplib). Ids are durable persistent messages with their priority,
 * published with confirms. A claim pulls with basic.get, which hands out the highest priority first
 * and, within one priority, the oldest: the exact order the Broker interface promises (a
 * long-lived consumer's prefetch buffer would hand out what it happened to receive first). Each id
 * is acked once taken: the orchestrator's acquire is the at-least-once guard. An idle claimer does
 * not poll: it waits on its process's exclusive wake-up queue, fed on every route and whenever a
 * delayed id comes due.
 */
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type GetMessage,
} from 'amqplib';
import {
  BackendError,
  clampPriority,
  maskUrl,
  reconnectDelayMs,
  Wakeup,
  type Broker,
  type Logger,
  type QueueItem,
} from 'taskapp/backend';
import { allQueues, bucketFor, delayBuckets, topology, type Topology } from './topology.js';

const NOT_BEFORE = 'x-taskapp-not-before';

interface Link {
  conn: ChannelModel;
  pub: ConfirmChannel;
  work: Channel;
  wake: Channel;
  broken: boolean;
}

export interface RabbitBrokerOptions {
  url: string;
  queue: string;
  /** Deliveries a channel may hold unacked: the runner's claim batch. */
  prefetch: number;
  logger: Logger;
}

export class RabbitBroker implements Broker {
  private link?: Promise<Link>;
  private readonly topology: Topology;
  private readonly wakeup = new Wakeup();
  private wakes = 0;
  private interrupted = false;
  private closing = false;
  /** Due times of ids this process delayed: an idle claim wakes for them without a message. */
  private readonly localDue: number[] = [];
  /** The pull in progress (see `pull`). */
  private pulling: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: RabbitBrokerOptions) {
    this.topology = topology(options.queue);
  }

  static async open(o: RabbitBrokerOptions): Promise<RabbitBroker> {
    const b = new RabbitBroker(o);
    try {
      await b.ensure(false);
    } catch (err) {
      throw new BackendError(
        `cannot connect to RabbitMQ at ${maskUrl(o.url)} (${(err as Error).message})`,
        'check that RabbitMQ is running and reachable, and that rabbitmq.url (env TASKAPP__RABBITMQ__URL) has the right host, port, user, password and vhost',
        err,
      );
    }
    return b;
  }

  /** The live link, reconnecting (with backoff, logged) after a lost connection. */
  private async ensure(retry = true): Promise<Link> {
    const prev = this.link;
    if (prev) {
      const l = await prev.catch(() => undefined);
      if (l && !l.broken) {
        return l;
      }
      if (this.link !== prev) {
        return this.ensure(retry);
      }
      this.link = undefined;
    }
    const attempt = async (): Promise<Link> => {
      for (let n = 1; ; n++) {
        try {
          return await this.openLink();
        } catch (err) {
          if (!retry || this.closing) {
            throw err;
          }
          const delayMs = reconnectDelayMs(n);
          this.options.logger.warn('rabbitmq connection failed, retrying', {
            url: maskUrl(this.options.url),
            delayMs,
            error: (err as Error).message,
          });
          await new Promise((r) => setTimeout(r, delayMs));
        }
      }
    };
    const p = (this.link = attempt());
    p.catch(() => {
      if (this.link === p) {
        this.link = undefined;
      }
    });
    return p;
  }

  private async openLink(): Promise<Link> {
    // Without TCP_NODELAY small frames wait ~40 ms for delayed ACKs (Nagle).
    const conn = await connect(this.options.url, { noDelay: true });
    const link: Link = { conn, broken: false } as Link;
    const lost = (err?: Error) => {
      if (link.broken) {
        return;
      }
      link.broken = true;
      // Unacked messages go back to the queue on the broker's side: nothing taken is lost.
      if (!this.closing) {
        this.options.logger.warn('rabbitmq connection lost, will reconnect', {
          url: maskUrl(this.options.url),
          error: err?.message,
        });
      }
      this.wakeup.notify();
    };
    conn.on('error', lost);
    conn.on('close', lost);
    try {
      link.pub = await conn.createConfirmChannel();
      link.work = await conn.createChannel();
      link.wake = await conn.createChannel();
      for (const ch of [link.pub, link.work, link.wake]) {
        ch.on('error', () => {});
      }
      await link.work.prefetch(this.options.prefetch);
      const { queue, exchange } = this.topology;
      await link.work.assertQueue(queue, { durable: true, arguments: { 'x-max-priority': 9 } });
      await link.work.assertExchange(exchange, 'direct', { durable: true });
      await link.work.bindQueue(queue, exchange, 'item');
      for (const ms of delayBuckets()) {
        await link.work.assertQueue(this.topology.delayQueue(ms), {
          durable: true,
          arguments: { 'x-dead-letter-exchange': exchange, 'x-dead-letter-routing-key': 'item' },
        });
      }
      const w = await link.wake.assertQueue('', {
        exclusive: true,
        autoDelete: true,
        durable: false,
      });
      await link.wake.bindQueue(w.queue, exchange, 'item');
      await link.wake.bindQueue(w.queue, exchange, 'wake');
      await link.wake.consume(
        w.queue,
        () => {
          this.wakes++;
          this.wakeup.notify();
        },
        { noAck: true },
      );
    } catch (err) {
      link.broken = true;
      await conn.close().catch(() => {});
      throw err;
    }
    return link;
  }

  /** Runs `fn` on a live link; after a lost connection, reconnects and runs it again. */
  private async withLink<T>(fn: (l: Link) => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      const l = await this.ensure();
      try {
        return await fn(l);
      } catch (err) {
        if (this.closing || n >= 5 || !l.broken) {
          throw err;
        }
      }
    }
  }

  async route(items: QueueItem[]): Promise<void> {
    if (!items.length) {
      return;
    }
    const now = Date.now();
    await this.withLink(async (l) => {
      for (const it of items) {
        await this.publish(l, it.id, clampPriority(it.priority), it.notBefore ?? 0, now);
      }
      l.pub.publish(this.topology.exchange, 'wake', Buffer.alloc(0));
      await l.pub.waitForConfirms();
    });
    for (const it of items) {
      if ((it.notBefore ?? 0) > now) {
        this.localDue.push(it.notBefore!);
      }
    }
  }

  private async publish(
    l: Link,
    id: string,
    priority: number,
    notBefore: number,
    now: number,
  ): Promise<void> {
    const opts = { persistent: true, priority, headers: { [NOT_BEFORE]: notBefore } };
    let ok: boolean;
    if (notBefore > now) {
      const delay = notBefore - now;
      ok = l.pub.sendToQueue(this.topology.delayQueue(bucketFor(delay)), Buffer.from(id), {
        ...opts,
        expiration: String(Math.ceil(delay)),
      });
    } else {
      ok = l.pub.sendToQueue(this.topology.queue, Buffer.from(id), opts);
    }
    if (!ok) {
      await new Promise((r) => l.pub.once('drain', r));
    }
  }

  async claim(max: number, waitMs: number): Promise<string[]> {
    this.interrupted = false;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const seen = this.wakes;
      const ids = await this.pull(Math.max(1, max));
      if (ids.length) {
        return ids;
      }
      const now = Date.now();
      const left = deadline - now;
      if (left <= 0 || this.interrupted || this.closing) {
        return [];
      }
      if (this.wakes !== seen) {
        continue;
      }
      await this.wakeup.wait(Math.min(left, this.untilLocalDue(now)));
      if (this.interrupted) {
        return [];
      }
    }
  }

  private untilLocalDue(now: number): number {
    let next = Infinity;
    for (let i = this.localDue.length - 1; i >= 0; i--) {
      // A delayed id arrives through the dead-letter exchange shortly after its time.
      if (this.localDue[i]! + 1000 < now) {
        this.localDue.splice(i, 1);
      } else if (this.localDue[i]! >= now) {
        next = Math.min(next, this.localDue[i]!);
      }
    }
    return next === Infinity ? Infinity : Math.max(5, next - now + 5);
  }

  /**
   * One pull at a time: a pull acks its deliveries with one `multiple` ack up to its last, which
   * would also ack those of a pull still running (and RabbitMQ closes the channel when that one
   * acks a tag again).
   */
  private pull(max: number): Promise<string[]> {
    const run = this.pulling.then(() => this.pullNow(max));
    this.pulling = run.catch(() => undefined);
    return run;
  }

  /** basic.get up to `max` ids; each is acked once taken. Ids that hopped the top delay bucket too early wait again. */
  private pullNow(max: number): Promise<string[]> {
    return this.withLink(async (l) => {
      const out: string[] = [];
      let last: GetMessage | undefined;
      const now = Date.now();
      while (out.length < max) {
        const m = await l.work.get(this.topology.queue, { noAck: false });
        if (!m) {
          break;
        }
        last = m;
        const nb = Number(m.properties.headers?.[NOT_BEFORE] ?? 0);
        if (nb > now) {
          await this.publish(l, m.content.toString(), m.properties.priority ?? 5, nb, now);
        } else {
          out.push(m.content.toString());
        }
      }
      if (last) {
        await l.pub.waitForConfirms();
        l.work.ack(last, true);
      }
      return out;
    });
  }

  async count(): Promise<number> {
    return this.withLink(async (l) => {
      let n = 0;
      for (const q of allQueues(this.topology)) {
        n += (await l.work.checkQueue(q)).messageCount;
      }
      return n;
    });
  }

  async purge(): Promise<void> {
    await this.withLink(async (l) => {
      for (const q of allQueues(this.topology)) {
        await l.work.purgeQueue(q);
      }
    });
  }

  interrupt(): void {
    this.interrupted = true;
    this.wakeup.notify();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.interrupt();
    const l = await this.link?.catch(() => undefined);
    this.link = undefined;
    if (l && !l.broken) {
      l.broken = true;
      await l.conn.close().catch(() => {});
    }
  }
}
