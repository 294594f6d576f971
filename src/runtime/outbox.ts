/**
 * The outbox (README, "Transactional enqueue"), for setups whose backend cannot share the app's
 * transaction (redis, rabbitmq, a taskapp database apart from the app's): app.outbox(client) writes
 * each call as a row of the outbox table in the app's own PostgreSQL database ([outbox] url), inside
 * the app's transaction; the relay below, run by the runners one at a time (the `outbox` lease, as
 * retention.ts), moves the rows to the backend. Exactly once: each row carries its invocation id,
 * the relay calls the task with that id (an idempotent call: an invocation already stored under it
 * is reused) and deletes the rows in the transaction that read them, so a relay that dies after
 * the call but before its COMMIT leaves rows whose next relay stores nothing new.
 */
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Wakeup } from '../backends/common/wakeup.js';
import type { OutboxEntry, OutboxStats, PgOutbox } from '../backends/outbox/pg-outbox.js';
import type { Runtime } from './runtime.js';

/** Call options as stored in an outbox row (epoch ms for times). */
export interface OutboxCallOptions {
  priority?: number;
  notBefore?: number;
  timeoutMs?: number;
  expiresAt?: number;
}

/** After a failed pass (outbox database unreachable), the relay waits at least this long. */
const FAILED_PASS_PAUSE_MS = 5000;

const opened = new WeakMap<Runtime, Promise<PgOutbox>>();

/** This app's outbox table, connected (and created if missing) on first use. */
export function outboxStoreOf(app: Runtime): Promise<PgOutbox> {
  const { url, schema } = app.config.outbox;
  if (!url) {
    return Promise.reject(
      new ConfigError(
        'app.outbox(): no outbox database is configured ([outbox] url)',
        'set [outbox] url to the PostgreSQL database your app writes its own rows to (env TASKAPP__OUTBOX__URL); runners then relay its outbox',
      ),
    );
  }
  let p = opened.get(app);
  if (!p) {
    p = import('../backends/outbox/pg-outbox.js').then((m) =>
      m.PgOutbox.open(url, schema, app.logger),
    );
    opened.set(app, p);
    p.catch(() => opened.delete(app));
  }
  return p;
}

/** Closes this app's outbox connections, if any were opened. */
export async function closeOutbox(app: Runtime): Promise<void> {
  const p = opened.get(app);
  opened.delete(app);
  await (await p?.catch(() => undefined))?.close();
}

/** Pending rows and the age of the oldest (metrics, dashboard); null when no outbox is configured. */
export async function outboxLag(
  app: Runtime,
  now = Date.now(),
): Promise<(OutboxStats & { lagSeconds: number }) | null> {
  if (!app.config.outbox.url) {
    return null;
  }
  const s = await (await outboxStoreOf(app)).stats();
  return { ...s, lagSeconds: s.oldestAt === null ? 0 : Math.max(0, now - s.oldestAt) / 1000 };
}

/**
 * One relay step: up to `batch_size` rows to the backend, deleted once stored. A row whose task
 * this process does not know stays (another runner's relay, with that task, moves it); one whose
 * expiresAt has passed is dropped (it could never run). Returns how many rows were read.
 */
export async function relayOnce(app: Runtime): Promise<number> {
  const store = await outboxStoreOf(app);
  let skipped: string[] = [];
  const n = await store.relay(app.config.outbox.batch_size, async (entries) => {
    skipped = await relayEntries(app, entries);
    return skipped;
  });
  if (skipped.length) {
    app.logger.warn('outbox: rows left for a runner that knows their task', {
      ids: skipped.slice(0, 10),
      count: skipped.length,
    });
  }
  return n - skipped.length;
}

/** Stores each row's call (idempotent by its id), in order; returns the ids left in the outbox. */
export async function relayEntries(app: Runtime, entries: OutboxEntry[]): Promise<string[]> {
  const skipped: string[] = [];
  for (const e of entries) {
    if (!(await relayEntry(app, e))) {
      skipped.push(e.id);
    }
  }
  return skipped;
}

/** Stores one row's call (idempotent by its id); false: left in the outbox. */
async function relayEntry(app: Runtime, e: OutboxEntry): Promise<boolean> {
  const task = e.kind === 'call' ? app.getTask(e.name) : undefined;
  if (!task) {
    return false;
  }
  const o = (e.options ? JSON.parse(e.options) : {}) as OutboxCallOptions;
  if (o.expiresAt !== undefined && o.expiresAt <= Date.now()) {
    app.logger.warn('outbox: call expired before it was relayed; dropped', {
      id: e.id,
      task: e.name,
    });
    return true;
  }
  await task.call(app.serializer.deserialize(e.body) as Record<string, unknown>, {
    id: e.id,
    ...(o.priority !== undefined ? { priority: o.priority } : {}),
    ...(o.notBefore !== undefined ? { runAt: new Date(o.notBefore) } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.expiresAt !== undefined ? { expiresAt: new Date(o.expiresAt) } : {}),
  });
  return true;
}

/** Runs the relay on a runner while it holds the `outbox` lease: woken by commits (LISTEN), else polling. */
export class OutboxRelay {
  private readonly wakeup = new Wakeup();
  private woken = false;
  private holding = false;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly app: Runtime,
    private readonly runnerId: string,
    private readonly logger: Logger,
  ) {}

  /** Starts nothing when no outbox is configured. */
  start(): void {
    if (!this.app.config.outbox.url) {
      return;
    }
    this.loop = this.run();
  }

  /** A commit in the outbox: only the lease holder acts on it (the others would only try the lease). */
  private wake = (): void => {
    if (this.holding) {
      this.woken = true;
      this.wakeup.notify();
    }
  };

  private async run(): Promise<void> {
    const { poll_interval_ms: pollMs, batch_size: batch } = this.app.config.outbox;
    const ttl = Math.max(10_000, pollMs * 3);
    while (!this.stopped) {
      let full = false;
      let wait = pollMs;
      try {
        const store = await outboxStoreOf(this.app);
        if (!store.listening) {
          await store.listen(this.wake);
        }
        const { orchestrator } = await this.app.backends();
        this.holding =
          !this.stopped && (await orchestrator.tryLease('outbox', this.runnerId, ttl, Date.now()));
        if (this.holding) {
          this.woken = false;
          full = (await relayOnce(this.app)) >= batch;
        } else {
          wait = Math.max(pollMs, ttl / 3); // another runner relays; take over once its lease lapses
        }
      } catch (err) {
        wait = Math.max(pollMs, FAILED_PASS_PAUSE_MS); // an unreachable outbox: one line per pause
        this.logger.warn('outbox relay pass failed', {
          runner: this.runnerId,
          error: (err as Error).message,
        });
      }
      if (!full && !this.woken && !this.stopped) {
        await this.wakeup.wait(wait);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeup.notify();
    await this.loop;
  }
}
