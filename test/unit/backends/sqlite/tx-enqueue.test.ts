/**
 * Enqueue inside the caller's own SQLite transaction (issue 22): the app's tables in taskapp's
 * file, a better-sqlite3 handle of its own with a transaction open, { tx: db }. A rolled-back
 * transaction leaves no invocation and nothing runs; a committed one runs once.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, describe } from 'vitest';
import { taskapp, type App } from '../../../../src/index.js';
import type { Runner } from '../../../../src/runners/runner.js';
import { RUNTIME } from '../../../../src/runtime/runtime.js';
import { tempDir } from '../../../helpers/tmp.js';

describe('sqlite enqueue in your transaction', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let app: App;
  let runner: Runner | undefined;
  let db: Database.Database;
  let sent: number[];

  beforeEach(async () => {
    tmp = tempDir();
    file = join(tmp.dir, 'app.db');
    sent = [];
    app = taskapp({
      configFile: false,
      backend: 'sqlite',
      sqlite: { path: file, pollIntervalMs: 20 },
      loggingLevel: 'error',
    });
    app.task('sendEmail', async ({ orderId }: { orderId: number }) => {
      sent.push(orderId);
      return `sent ${orderId}`;
    });
    await app[RUNTIME].backends(); // creates taskapp's tables in the file
    // The app's own connection to the same file, its own table beside taskapp's.
    db = new Database(file, { timeout: 5000 });
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY)');
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await app.close();
    db.close();
    tmp.cleanup();
  });

  /** One transaction on the app's handle; better-sqlite3's db.transaction() cannot await. */
  async function inTx<T>(end: 'COMMIT' | 'ROLLBACK', fn: () => Promise<T>): Promise<T> {
    db.exec('BEGIN IMMEDIATE');
    try {
      return await fn();
    } finally {
      db.exec(end);
    }
  }
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

  it('a rolled-back transaction leaves no invocation and nothing runs; a committed one runs once', async () => {
    const email = app.getTask('sendEmail')!;
    runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    const rolledBack = await inTx('ROLLBACK', async () => {
      db.prepare('INSERT INTO orders (id) VALUES (?)').run(1);
      return email.call({ orderId: 1 }, { tx: db });
    });
    const committed = await inTx('COMMIT', async () => {
      db.prepare('INSERT INTO orders (id) VALUES (?)').run(2);
      return email.call({ orderId: 2 }, { tx: db });
    });
    expect(await committed.result({ timeoutMs: 20_000 })).toBe('sent 2');
    expect((await committed.history()).map((h) => h.status)).toEqual([
      'REGISTERED',
      'PENDING',
      'RUNNING',
      'SUCCESS',
    ]);
    const { state } = await app[RUNTIME].backends();
    expect(await state.get(rolledBack.id)).toBeNull();
    expect(count('invocations')).toBe(1);
    expect(count('queue')).toBe(0);
    expect(sent).toEqual([2]);
  });

  it('parallelize, delayed calls, reused ids and emit go through the same transaction', async () => {
    const email = app.getTask('sendEmail')!;
    const runAt = new Date(Date.now() + 3_600_000);
    await inTx('ROLLBACK', async () => {
      await email.parallelize([{ orderId: 1 }, { orderId: 2 }], { tx: db });
      await app.emit('order.paid', { orderId: 1 }, { tx: db });
    });
    expect(count('invocations') + count('queue') + count('events')).toBe(0);
    const out = await inTx('COMMIT', async () => {
      const g = await email.parallelize([{ orderId: 3 }, { orderId: 4 }], { tx: db });
      const later = await email.call({ orderId: 5 }, { tx: db, runAt, id: 'order-5' });
      const again = await email.call({ orderId: 5 }, { tx: db, id: 'order-5' });
      await app.emit('order.paid', { orderId: 3 }, { tx: db });
      return { g, later, again };
    });
    expect(out.again.reused).toBe(true);
    expect(count('invocations')).toBe(3);
    expect(db.prepare('SELECT not_before FROM queue WHERE inv_id = ?').pluck().get('order-5')).toBe(
      runAt.getTime(),
    );
    expect(count('events')).toBe(1);
    runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    for (const inv of out.g.invocations) {
      await inv.result({ timeoutMs: 20_000 });
    }
    expect(sent.sort()).toEqual([3, 4]);
  });

  it('refuses a handle with no open transaction, or on another file, with the fix', async () => {
    const email = app.getTask('sendEmail')!;
    await expect(email.call({ orderId: 1 }, { tx: db })).rejects.toMatchObject({
      code: 'TX_NOT_OPEN',
      fix: expect.stringMatching(/BEGIN/),
    });
    const other = new Database(join(tmp.dir, 'other.db'));
    try {
      other.exec('BEGIN');
      await expect(email.call({ orderId: 1 }, { tx: other })).rejects.toMatchObject({
        code: 'TX_UNSUPPORTED',
        fix: expect.stringMatching(/sqlite\.path/),
      });
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(count('invocations')).toBe(0);
  });

  it('memory and dev mode cannot share a transaction: TX_UNSUPPORTED with the fix', async () => {
    for (const opts of [{ backend: 'memory' as const }, { devModeForceSync: true }]) {
      const other = taskapp({ configFile: false, loggingLevel: 'error', ...opts });
      const t = other.task('t', async () => 1);
      try {
        db.exec('BEGIN');
        await expect(t.call({}, { tx: db })).rejects.toMatchObject({
          code: 'TX_UNSUPPORTED',
          fix: expect.stringMatching(opts.backend ? /app\.outbox/ : /dev mode/),
        });
        await expect(t.parallelize([{}], { tx: db })).rejects.toMatchObject({
          code: 'TX_UNSUPPORTED',
        });
        await expect(other.emit('e', {}, { tx: db })).rejects.toMatchObject({
          code: 'TX_UNSUPPORTED',
        });
      } finally {
        db.exec('ROLLBACK');
        await other.close();
      }
    }
  });
});
