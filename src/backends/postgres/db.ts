/**
 * One PostgreSQL database shared by every role and every process: a pg.Pool of `postgres.pool_size`
 * connections with search_path pinned to taskapp's schema, the LISTEN client for wake-ups, and
 * retries on a new connection when one drops (server restart, pg_terminate_backend).
 */
import type { Writable } from 'node:stream';
import pg from 'pg';
import { BackendError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { InvocationRecord } from '../../core/records.js';
import { FINAL_STATUSES } from '../../core/status.js';
import { CancelBus, parseCancelMessage } from '../common/cancel-bus.js';
import { FinalNotifier } from '../common/final-notifier.js';
import { Wakeup } from '../common/wakeup.js';
import { maskUrl, reconnectDelayMs } from '../common/connection-utils.js';
import { clientConfig, isConnectionError, isRetryable, startError } from './connection.js';
import { PgListener } from './listener.js';
import { ClaimWaiter, IDLE_RECHECK_MS, STOP_WAITING } from './claim-waiters.js';
import { applyMigrations } from './migrate.js';
import { recordColumns, toRecord, type InvocationRow } from '../common/sql-rows.js';
import { withArrayLiterals } from './array-literal.js';

/** How often waits re-read the database while the LISTEN connection is down. */
export const FALLBACK_POLL_MS = 1000;
/** How long an operation keeps retrying on new connections before it fails. */
const RETRY_BUDGET_MS = 30_000;
/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD = 7900;
export const FINAL_LIST = [...FINAL_STATUSES];

/**
 * A named statement: prepared once per connection, then executed by name. `wakesQueue`: it may
 * NOTIFY `q` (new queue rows); once it has committed, this process wakes its own claimers itself
 * (PgDb.queueChanged) and ignores the NOTIFY when it comes back from the server. `retryAs`: what
 * PgDb.query sends instead when it tries again after a lost answer (the first try may have
 * committed).
 */
export interface Stmt {
  name: string;
  text: string;
  wakesQueue?: true;
  retryAs?: Stmt;
}
export const stmt = (
  name: string,
  text: string,
  opts: { wakesQueue?: true; retryAs?: Stmt } = {},
): Stmt => ({ name: `taskapp_${name}`, text, ...opts });
const wakesQueue = (q: Stmt | string): boolean => typeof q !== 'string' && q.wakesQueue === true;
/** What pg is given for a statement and its values (arrays as literals: array-literal.ts). */
const queryConfig = (q: Stmt | string, values: unknown[] | undefined): pg.QueryConfig => {
  const v = withArrayLiterals(values);
  return typeof q === 'string' ? { text: q, values: v } : { name: q.name, text: q.text, values: v };
};

/** Runners on every host wake on the schema's channel (`q`: the queue has new rows). */
export const NOTIFY_QUEUE = stmt('notify_queue', `SELECT pg_notify($1, 'q')`, { wakesQueue: true });

/** The connection inside `PgDb.tx`. */
export interface TxClient {
  query<R extends pg.QueryResultRow = any>(
    q: Stmt | string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/**
 * Transaction-scoped advisory locks on `$2` keys within lock space `$1`, taken in hash order so two
 * transactions locking overlapping key sets cannot deadlock. Statements after this one in the
 * transaction see everything committed under those locks (READ COMMITTED: a snapshot per statement).
 */
export const LOCK_KEYS = stmt(
  'lock_keys',
  `SELECT pg_advisory_xact_lock(hashtext($1), h)
  FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY 1) s`,
);

const FETCH_FINAL = stmt(
  'fetch_final',
  `SELECT ${recordColumns()} FROM invocations WHERE id = ANY($1::text[]) AND status = ANY($2::text[])`,
);
// One id (a result awaited): PostgreSQL replans an `= ANY($1)` statement at every call (its generic
// plan guesses a longer array and looks dearer), ~130 us here; `= $1` keeps one plan.
const FETCH_FINAL_ONE = stmt(
  'fetch_final_one',
  `SELECT ${recordColumns()} FROM invocations WHERE id = $1 AND status = ANY($2::text[])`,
);

interface PgOptions {
  url: string;
  schema: string;
  poolSize: number;
  applicationName: string;
  log: Logger;
  /** false: no LISTEN connection (a caller that never claims or waits: backends.ts BackendUse). */
  listen?: boolean;
  /** How often an idle claimer looks again with no wake-up (IDLE_RECHECK_MS; tests change it). */
  idleRecheckMs?: number;
}

export class PgDb {
  readonly queueWakeup = new Wakeup();
  readonly finals = new FinalNotifier();
  /** Cancel requests heard on this schema's channel (payload `c` + JSON), for this process's runners. */
  readonly cancels = new CancelBus();
  /** Bumped on every possible queue change seen here (own route, NOTIFY, LISTEN (re)connect). */
  queueGen = 0;
  /** This process's row in claim_waiters: the key a NOTIFY names to wake this process alone. */
  readonly waiter = new ClaimWaiter();
  /** Claims in progress here (PgBroker.claimVia): a wake naming this process with none is passed on. */
  claimers = 0;
  readonly idleRecheckMs: number;
  /** The NOTIFY channel of this schema. */
  readonly channel: string;
  /** Advisory lock spaces of this schema (registration keys, running scopes): no contention across
   * schemas, nor between a registration key and a running key that happen to be equal. */
  readonly lockSpaces: { registration: string; running: string };
  readonly maskedUrl: string;
  private readonly pool: pg.Pool;
  private readonly listener: PgListener;
  private closed = false;
  /** Local writes in flight that publish the finals they make (see `publishing`). */
  private readonly publishingWrites = new Set<Promise<unknown>>();
  /** When the current connection outage began (0: none). */
  private outageSince = 0;
  /**
   * Server process ids of this pool's open connections. A `q` NOTIFY one of them sent follows a
   * statement that woke this process's claimers once it committed (Stmt.wakesQueue): hearing it
   * again would only send each runner one more claim that finds nothing.
   */
  private readonly ownBackends = new Set<number>();

  private constructor(private readonly opts: PgOptions) {
    this.channel = `${opts.schema}_taskapp`;
    this.idleRecheckMs = opts.idleRecheckMs ?? IDLE_RECHECK_MS;
    this.lockSpaces = {
      registration: `taskapp.${opts.schema}.reg`,
      running: `taskapp.${opts.schema}.run`,
    };
    this.maskedUrl = maskUrl(opts.url);
    const cfg = clientConfig(pg, opts.url, opts.schema, opts.applicationName);
    this.pool = new pg.Pool({ ...cfg, max: opts.poolSize, pipeline: true } as pg.PoolConfig);
    const backendOf = (c: pg.PoolClient) => (c as unknown as { processID?: number }).processID;
    this.pool.on('connect', (c) => {
      const pid = backendOf(c);
      if (pid) {
        this.ownBackends.add(pid);
      }
    });
    this.pool.on('remove', (c) => {
      const pid = backendOf(c);
      if (pid) {
        this.ownBackends.delete(pid);
      }
    });
    // An idle pooled connection that dies emits here; the pool drops it and opens a new one on demand.
    this.pool.on('error', (err) =>
      opts.log.debug('postgres pooled connection closed', { error: err.message }),
    );
    this.listener = new PgListener(
      cfg,
      this.channel,
      {
        onNotify: (p, pid) => this.onNotify(p, pid),
        onState: (listening) => {
          if (!listening) {
            this.waiter.lost();
          }
          this.resync();
        },
        setup: (c) => this.waiter.register(c),
        teardown: (c) => this.waiter.unregister(c, this.channel),
      },
      opts.log,
    );
  }

  /** Connects, migrates the schema and starts listening; an unreachable server fails here. */
  static async open(opts: PgOptions): Promise<PgDb> {
    const d = new PgDb(opts);
    try {
      const client = await d.pool.connect();
      try {
        await applyMigrations(client, opts.schema);
      } finally {
        client.release();
      }
      if (opts.listen !== false) {
        await d.listener.start();
      }
      return d;
    } catch (err) {
      await d.close();
      throw err instanceof BackendError ? err : startError(err, opts.url, opts.schema);
    }
  }

  get listening(): boolean {
    return this.listener.listening;
  }

  get log(): Logger {
    return this.opts.log;
  }

  /** One statement on any pooled connection, retried on a new one if the connection drops (until `until`, if given). */
  async query<R = any>(
    q: Stmt | string,
    values: unknown[] = [],
    until?: number,
  ): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    const out = await this.retry(
      typeof q === 'string' ? 'query' : q.name,
      (attempt) =>
        this.once<R>(attempt > 0 && typeof q !== 'string' ? (q.retryAs ?? q) : q, values),
      until,
    );
    if (wakesQueue(q)) {
      this.queueChanged();
    }
    return out;
  }

  /** One statement, one try (for use inside `retry`). */
  once<R = any>(
    q: Stmt | string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    return this.pool.query<R & pg.QueryResultRow>(queryConfig(q, values));
  }

  async rows<R = any>(q: Stmt | string, values: unknown[] = []): Promise<R[]> {
    return (await this.query<R>(q, values)).rows;
  }

  /**
   * Runs `fn` in one transaction on one connection. The connection pipelines: BEGIN goes out with
   * `fn`'s first query, and queries `fn` issues without awaiting go out with the COMMIT, so a
   * lock-then-write transaction is two round trips. If any of them fails the COMMIT rolls back and
   * that error is thrown. On a dropped connection or a deadlock the whole transaction runs again
   * (`attempt` > 0, until `until` if given), so `fn` must not act outside it before it commits.
   */
  tx<T>(fn: (c: TxClient, attempt: number) => Promise<T>, until?: number): Promise<T> {
    return this.transaction(fn, until, () => false);
  }

  /**
   * A transaction of one round trip: BEGIN, every statement `fn` issues before its first await, and
   * COMMIT go out together; `fn`'s result is awaited after. Retried like `tx`.
   */
  txOneTrip<T>(fn: (c: TxClient, attempt: number) => Promise<T>, until?: number): Promise<T> {
    return this.transaction(fn, until, () => true);
  }

  /** `tx` or `txOneTrip`, chosen per attempt. */
  async transaction<T>(
    fn: (c: TxClient, attempt: number) => Promise<T>,
    until: number | undefined,
    oneTripAt: (attempt: number) => boolean,
  ): Promise<T> {
    return this.retry(
      'transaction',
      async (attempt) => {
        const client = await this.pool.connect();
        let broken: unknown;
        const onError = (err: Error) => {
          broken = err;
        };
        // A checked-out client that loses its connection emits 'error': without a listener it would crash the process.
        client.on('error', onError);
        const issued: Array<Promise<unknown>> = [];
        let wakes = false;
        const c: TxClient = {
          query: (q, values) => {
            wakes ||= wakesQueue(q);
            const p = client.query(queryConfig(q, values));
            p.catch(() => {}); // awaited below; a failure must not surface as unhandled meanwhile
            issued.push(p);
            return p as never;
          },
        };
        // What is issued before the first await leaves in one write: each statement's own write
        // costs a system call here and a wake-up of the server (~70 us each on a small VM).
        const stream = (client as unknown as { connection?: { stream?: Writable } }).connection
          ?.stream;
        const oneTrip = oneTripAt(attempt);
        try {
          let result: Promise<T>;
          stream?.cork();
          try {
            void c.query('BEGIN'); // pipelined: its failure surfaces through `issued`
            result = fn(c, attempt);
            if (oneTrip) {
              void c.query('COMMIT');
            }
          } finally {
            stream?.uncork();
          }
          const out = await result;
          if (!oneTrip) {
            void c.query('COMMIT');
          }
          await Promise.all(issued);
          if (wakes) {
            this.queueChanged();
          }
          return out;
        } catch (err) {
          if (isConnectionError(err)) {
            broken ??= err;
          }
          // The first statement that failed is the cause (a deadlock, say): the later ones only report
          // an aborted transaction.
          const settled = await Promise.allSettled(issued);
          const first =
            settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason ?? err;
          if (!broken && !isConnectionError(first)) {
            await client.query('ROLLBACK').catch((e: unknown) => {
              broken = e;
            });
          } else {
            broken ??= first;
          }
          throw first;
        } finally {
          client.removeListener('error', onError);
          client.release(broken as Error | undefined);
        }
      },
      until,
    );
  }

  /**
   * Runs `fn` until it succeeds, on new connections while the server is away. Gives up on a lost
   * server with the last error at `until` (callers that can simply try later, like claim) or with a BackendError
   * after RETRY_BUDGET_MS. An outage is logged once when it starts and once when it ends.
   * A lost connection leaves it unknown whether the last attempt committed: with `attempt` > 0,
   * `fn` must cope with finding its own earlier write.
   */
  async retry<T>(what: string, fn: (attempt: number) => Promise<T>, until?: number): Promise<T> {
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await fn(attempt);
        if (this.outageSince) {
          this.opts.log.info('postgres connection restored', {
            url: this.maskedUrl,
            downMs: Date.now() - this.outageSince,
          });
          this.outageSince = 0;
        }
        return out;
      } catch (err) {
        if (this.closed || !isRetryable(err)) {
          throw err;
        }
        const lost = isConnectionError(err);
        if (lost && !this.outageSince) {
          this.outageSince = Date.now();
          this.opts.log.warn('postgres connection lost; retrying on new connections', {
            url: this.maskedUrl,
            op: what,
            error: (err as Error).message,
          });
        }
        const delay = lost ? reconnectDelayMs(attempt + 1) : Math.min(2000, 5 * 2 ** attempt);
        // A deadlock or serialization failure rolled the attempt back and is over: try again now,
        // even past `until` (deadlock detection alone takes deadlock_timeout, a second).
        if (lost && until !== undefined && Date.now() + delay > until) {
          throw err;
        }
        if (Date.now() - start > RETRY_BUDGET_MS) {
          throw new BackendError(
            `PostgreSQL at ${this.maskedUrl}: ${what} kept failing for ${RETRY_BUDGET_MS / 1000} s (${(err as Error).message})`,
            lost
              ? 'check that the server is up and reachable; taskapp reconnects on its own once it is'
              : 'check the server log for what blocks it',
            err,
          );
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async fetchFinal(ids: string[]): Promise<InvocationRecord[]> {
    if (!ids.length) {
      return [];
    }
    const rows =
      ids.length === 1
        ? await this.rows<InvocationRow>(FETCH_FINAL_ONE, [ids[0], FINAL_LIST])
        : await this.rows<InvocationRow>(FETCH_FINAL, [ids, FINAL_LIST]);
    return rows.map(toRecord);
  }

  /**
   * Runs a write that publishes, before it resolves, the finals it makes. Their NOTIFY can reach
   * the LISTEN connection before the write's own answer does; a NOTIFY that finds such writes in
   * flight waits for them and re-reads only what they did not publish (measured: about a third of
   * the bench's finals were re-read for nothing, ~4-6 us of server CPU per invocation).
   */
  async publishing<T>(write: () => Promise<T>): Promise<T> {
    const p = write();
    this.publishingWrites.add(p);
    try {
      return await p;
    } finally {
      this.publishingWrites.delete(p);
    }
  }

  /** NOTIFY payloads announcing that `ids` became final, each under the size limit. */
  static finalPayloads(ids: string[]): string[] {
    const out: string[] = [];
    let cur = 'f';
    for (const id of ids) {
      if (cur.length + id.length + 1 > MAX_PAYLOAD && cur !== 'f') {
        out.push(cur);
        cur = 'f';
      }
      cur += `\n${id}`;
    }
    if (cur !== 'f') {
      out.push(cur);
    }
    return out;
  }

  /** A possible queue change made in this process: wake local claimers at once. */
  queueChanged(): void {
    this.queueGen++;
    this.queueWakeup.notify();
  }

  private onNotify(payload: string, fromBackend: number | undefined): void {
    if (payload[0] === 'q') {
      if (!this.waiter.isFor(payload)) {
        return;
      }
      // Named, but nothing here claims any more (a runner stopped, its backend still open), even
      // when this process's own enqueue named it.
      if (payload.length > 1 && this.claimers === 0) {
        void this.query(STOP_WAITING, [this.waiter.key, this.channel]).catch((err: Error) =>
          this.opts.log.warn('postgres: could not pass a queue wake-up on', { error: err.message }),
        );
      }
      if (fromBackend !== undefined && this.ownBackends.has(fromBackend)) {
        return;
      }
      return this.queueChanged();
    }
    if (payload.startsWith('c')) {
      return this.cancels.deliver(parseCancelMessage(payload.slice(1)));
    }
    if (!payload.startsWith('f\n')) {
      return;
    }
    // Only what someone here waits for is re-read; this process's own finals were published already,
    // or are about to be by a write still in flight.
    const announced = payload.slice(2).split('\n');
    this.finals.heard(announced);
    const ids = this.finals.watched(announced);
    if (!ids.length) {
      return;
    }
    if (!this.publishingWrites.size) {
      return this.reread(ids);
    }
    void Promise.allSettled([...this.publishingWrites]).then(() =>
      this.reread(this.finals.watched(ids)),
    );
  }

  private reread(ids: string[]): void {
    if (!ids.length) {
      return;
    }
    this.fetchFinal(ids).then(
      (recs) => this.finals.publish(recs),
      (err: Error) =>
        this.opts.log.warn('postgres: could not read finished invocations', { error: err.message }),
    );
  }

  /** The LISTEN connection was lost or is back: wake-ups may have been missed, so look again. */
  private resync(): void {
    this.queueChanged();
    this.finals.resync();
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.listener.close();
    await this.pool.end().catch(() => {});
  }
}
