/**
 * One SQLite database file shared by every role (and by every process on the host): WAL mode, a
 * busy timeout for writers from other processes, versioned migrations from migrations/*.sql.
 */
import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError } from '../../core/errors.js';
import { FinalNotifier } from '../common/final-notifier.js';
import { Wakeup } from '../common/wakeup.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** In-process wake-ups per database file, so several handles on one file in one process wake each other. */
const wakeups = new Map<string, { queue: Wakeup; finals: FinalNotifier }>();

interface SqliteOptions {
  path: string;
  busyTimeoutMs: number;
  pollIntervalMs: number;
}

export class SqliteDb {
  readonly db: Database.Database;
  readonly path: string;
  readonly queueWakeup: Wakeup;
  readonly finals: FinalNotifier;
  readonly pollIntervalMs: number;

  constructor(opts: SqliteOptions) {
    this.path = opts.path === ':memory:' ? opts.path : resolve(opts.path);
    this.pollIntervalMs = opts.pollIntervalMs;
    try {
      if (this.path !== ':memory:') {
        mkdirSync(dirname(this.path), { recursive: true });
      }
      this.db = new Database(this.path, { timeout: opts.busyTimeoutMs });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = OFF');
      // A busy runner rewrites the same pages (queue, index tails) in every batch: a larger page
      // cache and fewer WAL checkpoints spare ~10% of the CPU per invocation (npm run bench).
      this.db.pragma('cache_size = -16384');
      this.db.pragma('wal_autocheckpoint = 10000');
      this.migrate();
    } catch (err) {
      throw sqliteError(err, this.path, 'open');
    }
    let w = wakeups.get(this.path);
    if (!w) {
      wakeups.set(this.path, (w = { queue: new Wakeup(), finals: new FinalNotifier() }));
    }
    this.queueWakeup = w.queue;
    this.finals = w.finals;
  }

  /** Applies migrations newer than the file's user_version, each in one transaction. */
  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d+_.*\.sql$/.test(f))
      .sort();
    for (const file of files) {
      const version = parseInt(file, 10);
      if (version <= current) {
        continue;
      }
      const sql = readFileSync(MIGRATIONS_DIR + file, 'utf8');
      this.db
        .transaction(() => {
          // Re-check inside the write lock: another process may have migrated meanwhile.
          if ((this.db.pragma('user_version', { simple: true }) as number) >= version) {
            return;
          }
          this.db.exec(sql);
          this.db.pragma(`user_version = ${version}`);
        })
        .immediate();
    }
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE: no lock upgrade deadlocks across processes). */
  write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw sqliteError(err, this.path, 'write');
    }
  }

  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw sqliteError(err, this.path, 'read');
    }
  }

  /**
   * A check that is true when another connection (another process) committed since the last call:
   * SQLite's data_version, which costs no table read. Own commits are seen through `finals`.
   */
  changeDetector(): () => boolean {
    const stmt = this.db.prepare('PRAGMA data_version');
    stmt.pluck();
    let last = stmt.get() as number;
    return () => {
      const v = stmt.get() as number;
      if (v === last) {
        return false;
      }
      last = v;
      return true;
    };
  }

  close(): void {
    if (this.db.open) {
      this.db.close();
    }
  }
}

/** Maps SQLite's codes to errors that say what happened to which file and what to do. */
function sqliteError(err: unknown, path: string, op: string): Error {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new BackendError(
      `the SQLite file ${path} is not a usable taskapp database (${code}: ${(err as Error).message})`,
      `move the file aside (taskapp creates a new one on start) or point sqlite.path at the right file`,
      err,
    );
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new BackendError(
      `the SQLite file ${path} stayed locked by another connection during ${op}; nothing was written`,
      'find the process holding a long transaction on it, or raise sqlite.busy_timeout_ms',
      err,
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return new BackendError(
      `cannot ${op} the SQLite file ${path} (${code})`,
      'check that its folder exists and is writable',
      err,
    );
  }
  return err as Error;
}
