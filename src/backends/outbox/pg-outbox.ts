/**
 * The outbox table in the app's own PostgreSQL database ([outbox] url, schema): rows written
 * through the app's client inside its transaction, read and deleted by the relay in one
 * transaction of its own (FOR UPDATE SKIP LOCKED), a NOTIFY per committed write to wake it.
 * pg is loaded only when an outbox is configured (runtime/outbox.ts imports this lazily).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { TransactionError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { maskUrl } from '../common/connection-utils.js';
import { clientConfig, quoteIdent, startError } from '../postgres/connection.js';
import { pgClientInTx } from '../postgres/tx-enqueue.js';
import type { TxHandle } from '../tx-enqueue.js';

const SETUP_SQL = readFileSync(fileURLToPath(new URL('./outbox.sql', import.meta.url)), 'utf8');

export interface OutboxEntry {
  id: string;
  kind: 'call';
  name: string;
  body: string;
  options: string | null;
  createdAt: number;
}

export interface OutboxStats {
  pending: number;
  /** created_at of the oldest row waiting; null: none. */
  oldestAt: number | null;
}

const USAGE =
  "pass a client of your database inside BEGIN: const c = await pool.connect(); await c.query('BEGIN'); await app.outbox(c).call(task, args); await c.query('COMMIT')";

export class PgOutbox {
  readonly channel: string;
  private readonly pool: pg.Pool;
  private readonly insertSql: string;
  private listener?: pg.Client;
  private closed = false;

  private constructor(
    private readonly url: string,
    private readonly schema: string,
    private readonly log: Logger,
  ) {
    this.channel = `${schema}_outbox`;
    this.pool = new pg.Pool({ ...clientConfig(pg, url, schema, 'taskapp outbox'), max: 2 });
    this.pool.on('error', (err) =>
      log.debug('outbox pooled connection closed', { error: err.message }),
    );
    const t = `${quoteIdent(schema)}.outbox`;
    this.insertSql = `WITH ins AS (INSERT INTO ${t} (id, kind, name, body, options, created_at)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]))
      SELECT pg_notify($7, '')`;
  }

  /** Connects and creates the schema and table if missing. */
  static async open(url: string, schema: string, log: Logger): Promise<PgOutbox> {
    const o = new PgOutbox(url, schema, log);
    const c = await o.pool.connect().catch((err: unknown) => {
      void o.pool.end();
      throw startError(err, url, schema);
    });
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`taskapp.outbox.${schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await c.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
      await c.query(SETUP_SQL);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      await o.close();
      throw err;
    } finally {
      c.release();
    }
    return o;
  }

  get where(): string {
    return `${maskUrl(this.url)}, schema "${this.schema}"`;
  }

  /** Writes entries through the caller's client, inside its open transaction. */
  async write(tx: TxHandle, entries: OutboxEntry[]): Promise<void> {
    const c = pgClientInTx(tx, 'app.outbox(client)', USAGE);
    await c.query(this.insertSql, this.insertValues(entries)).catch((err: unknown) => {
      throw this.writeError(err);
    });
  }

  private insertValues(entries: OutboxEntry[]): unknown[] {
    return [
      entries.map((e) => e.id),
      entries.map((e) => e.kind),
      entries.map((e) => e.name),
      entries.map((e) => e.body),
      entries.map((e) => e.options),
      entries.map((e) => e.createdAt),
      this.channel,
    ];
  }

  /** A failed write, said in terms of what to do (the caller's transaction is aborted by it). */
  private writeError(err: unknown): unknown {
    const code = (err as { code?: string }).code;
    if (code === '25P02') {
      return new TransactionError(
        'TX_NOT_OPEN',
        "app.outbox(client): the client's transaction has already failed (PostgreSQL ignores commands until it ends)",
        'ROLLBACK it and retry the whole transaction',
        err,
      );
    }
    // undefined_table / invalid_schema_name: the client is on another database than [outbox] url.
    if (code === '42P01' || code === '3F000') {
      return new TransactionError(
        'TX_UNSUPPORTED',
        `app.outbox(client): the client's database has no outbox table (${(err as Error).message}); its transaction is now aborted`,
        `connect the client to the database of [outbox] url (${this.where})`,
        err,
      );
    }
    return err;
  }

  /**
   * Reads up to `limit` rows (oldest first, rows another relay holds skipped), hands them to
   * `relay`, and deletes them in the same transaction once it resolves, except the ids it returns
   * (left for later): if the process dies before the COMMIT, the rows stay and the next pass relays
   * them again (idempotent by id). Returns how many rows were read.
   */
  async relay(
    limit: number,
    relay: (entries: OutboxEntry[]) => Promise<string[]>,
  ): Promise<number> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const rows = (
        await c.query<{
          seq: string;
          id: string;
          kind: 'call';
          name: string;
          body: string;
          options: string | null;
          created_at: string;
        }>('SELECT * FROM outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED', [limit])
      ).rows;
      if (rows.length) {
        const kept = new Set(
          await relay(
            rows.map((r) => ({
              id: r.id,
              kind: r.kind,
              name: r.name,
              body: r.body,
              options: r.options,
              createdAt: Number(r.created_at),
            })),
          ),
        );
        await c.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [
          rows.filter((r) => !kept.has(r.id)).map((r) => r.seq),
        ]);
      }
      await c.query('COMMIT');
      return rows.length;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => {
        broken = e;
      });
      throw err;
    } finally {
      c.release(broken);
    }
  }

  async stats(): Promise<OutboxStats> {
    const { rows } = await this.pool.query<{ n: number; oldest: string | null }>(
      'SELECT count(*)::int AS n, min(created_at) AS oldest FROM outbox',
    );
    return {
      pending: rows[0]!.n,
      oldestAt: rows[0]!.oldest === null ? null : Number(rows[0]!.oldest),
    };
  }

  /** Calls `onWrite` when a write commits (LISTEN); false when listening failed (poll instead). */
  async listen(onWrite: () => void): Promise<boolean> {
    try {
      const c = new pg.Client(clientConfig(pg, this.url, this.schema, 'taskapp outbox listen'));
      c.on('error', (err) => {
        this.log.debug('outbox listen connection closed', { error: err.message });
        if (this.listener === c) {
          this.listener = undefined;
        }
      });
      c.on('notification', (m) => {
        if (m.channel === this.channel) {
          onWrite();
        }
      });
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(this.channel)}`);
      if (this.closed) {
        await c.end();
        return false;
      }
      this.listener = c;
      return true;
    } catch (err) {
      this.log.debug('outbox: cannot LISTEN; polling instead', { error: (err as Error).message });
      return false;
    }
  }

  get listening(): boolean {
    return this.listener !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => {});
    this.listener = undefined;
    await this.pool.end().catch(() => {});
  }
}
