/**
 * Enqueue inside the caller's own PostgreSQL transaction (issue 22): task.call / parallelize /
 * app.emit with { tx: client }, and taskapp's SQL function call(). Real server, a real runner: a
 * rolled-back transaction leaves no invocation and nothing runs; a committed one runs once.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { taskapp, type App } from '../../../../src/index.js';
import type { Runner } from '../../../../src/runners/runner.js';
import { RUNTIME } from '../../../../src/runtime/runtime.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, inTransaction, pgScope } from '../../../helpers/postgres.js';

const scope = pgScope('txq');

await describeWithService(
  'postgres',
  PG_HOST,
  PG_PORT,
  'postgres enqueue in your transaction',
  () => {
    let schema: string;
    let appSchema: string;
    let app: App;
    let runner: Runner | undefined;
    let pool: pg.Pool;
    let sent: number[];

    const newApp = () => {
      const a = taskapp({
        configFile: false,
        appId: 'txq',
        backend: 'postgres',
        postgres: { url: PG_URL, schema, poolSize: 4 },
        loggingLevel: 'error',
      });
      a.task('sendEmail', async ({ orderId }: { orderId: number }) => {
        sent.push(orderId);
        return `sent ${orderId}`;
      });
      return a;
    };
    const backends = () => app[RUNTIME].backends();

    beforeEach(async () => {
      schema = scope.next();
      appSchema = scope.next();
      sent = [];
      app = newApp();
      await backends(); // creates and migrates taskapp's schema
      // The user's own connection: default search_path, their own schema for their tables.
      pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
      await pool.query(`CREATE SCHEMA ${appSchema}`);
      await pool.query(`CREATE TABLE ${appSchema}.orders (id int PRIMARY KEY)`);
    });
    afterEach(async () => {
      await runner?.stop();
      runner = undefined;
      await app.close();
      await pool.end();
    });
    afterAll(() => scope.cleanup());

    const inTx = <T>(end: 'COMMIT' | 'ROLLBACK', fn: (c: pg.PoolClient) => Promise<T>) =>
      inTransaction(pool, end, fn);
    const placeOrder = (c: pg.PoolClient, id: number) =>
      c.query(`INSERT INTO ${appSchema}.orders (id) VALUES ($1)`, [id]);
    const count = async (table: string, where = 'true') =>
      Number(
        (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.${table} WHERE ${where}`))
          .rows[0].n,
      );

    it('a rolled-back transaction leaves no invocation, no queue entry, and nothing runs; a committed one runs once', async () => {
      const email = app.getTask('sendEmail')!;
      runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
      const rolledBack = await inTx('ROLLBACK', async (c) => {
        await placeOrder(c, 1);
        return email.call({ orderId: 1 }, { tx: c });
      });
      const committed = await inTx('COMMIT', async (c) => {
        await placeOrder(c, 2);
        const inv = await email.call({ orderId: 2 }, { tx: c });
        // Not visible outside the transaction before its COMMIT.
        expect(await app[RUNTIME].getRecord(inv.id).catch(() => null)).toBeNull();
        return inv;
      });
      expect(await committed.result({ timeoutMs: 20_000 })).toBe('sent 2');
      expect(await committed.history()).toMatchObject([
        { status: 'REGISTERED' },
        { status: 'PENDING' },
        { status: 'RUNNING' },
        { status: 'SUCCESS' },
      ]);
      const { state } = await backends();
      expect(await state.get(rolledBack.id)).toBeNull();
      expect(await state.history(rolledBack.id)).toEqual([]);
      expect(await count('invocations')).toBe(1);
      expect(await count('queue')).toBe(0);
      expect(sent).toEqual([2]);
    });

    it('parallelize with { tx } writes every chunk in the transaction: all or none', async () => {
      const email = app.getTask('sendEmail')!;
      const list = Array.from({ length: 7 }, (_, i) => ({ orderId: 10 + i }));
      await inTx('ROLLBACK', (c) => email.parallelize(list, { tx: c }));
      expect(await count('invocations')).toBe(0);
      const group = await inTx('COMMIT', (c) => email.parallelize(list, { tx: c }));
      expect(await count('invocations')).toBe(7);
      expect(await count('queue')).toBe(7);
      runner = await app.startRunner({ runner: 'thread', concurrency: 4 });
      const results: unknown[] = [];
      for await (const r of group.results({ timeoutMs: 20_000 })) {
        results.push(r);
      }
      expect(results.length).toBe(7);
      expect(sent.sort()).toEqual(list.map((a) => a.orderId));
    });

    it('writes the same rows as the hot path (invocation, history, queue), delays and limits included', async () => {
      const email = app.getTask('sendEmail')!;
      const runAt = new Date(Date.now() + 3_600_000);
      const opts = { priority: 7, runAt, timeoutMs: 5000 };
      const plain = await email.call({ orderId: 3 }, opts);
      const viaTx = await inTx('COMMIT', (c) => email.call({ orderId: 3 }, { ...opts, tx: c }));
      const row = async (id: string) => {
        const r = (await pool.query(`SELECT * FROM ${schema}.invocations WHERE id = $1`, [id]))
          .rows[0];
        const { id: _i, seq: _s, created_at: _c, updated_at: _u, hist, ...rest } = r;
        // History entries without their times (`<at>,<STATUS>,<runner>`, history.ts).
        return { ...rest, hist: (hist as string[]).map((e) => e.replace(/^\d+,/, '')) };
      };
      expect(await row(viaTx.id)).toEqual(await row(plain.id));
      expect((await row(viaTx.id)).hist).toEqual(['REGISTERED,']);
      const side = async (id: string) => ({
        queue: (
          await pool.query(
            `SELECT priority, not_before, claimed_by FROM ${schema}.queue WHERE inv_id = $1`,
            [id],
          )
        ).rows,
      });
      expect(await side(viaTx.id)).toEqual(await side(plain.id));
      expect((await side(viaTx.id)).queue).toEqual([
        { priority: 7, not_before: String(runAt.getTime()), claimed_by: null },
      ]);
    });

    it('an idempotency id or a registration key already used in the transaction is reused, and the transaction stays usable', async () => {
      const keyed = app.task('keyed', async ({ k }: { k: string }) => k, {
        registrationConcurrency: 'TASK',
      });
      const email = app.getTask('sendEmail')!;
      const out = await inTx('COMMIT', async (c) => {
        const a = await email.call({ orderId: 5 }, { tx: c, id: 'order-5:email' });
        const b = await email.call({ orderId: 5 }, { tx: c, id: 'order-5:email' });
        const k1 = await keyed.call({ k: 'x' }, { tx: c });
        const k2 = await keyed.call({ k: 'y' }, { tx: c });
        await placeOrder(c, 5); // the transaction was not aborted
        return { a, b, k1, k2 };
      });
      expect([out.a.id, out.a.reused]).toEqual(['order-5:email', false]);
      expect([out.b.id, out.b.reused]).toEqual(['order-5:email', true]);
      expect(out.k2.id).toBe(out.k1.id);
      expect(out.k2.reused).toBe(true);
      expect(await count('invocations')).toBe(2);
      expect(await count('queue')).toBe(2);
      expect((await pool.query(`SELECT id FROM ${appSchema}.orders`)).rows).toEqual([{ id: 5 }]);
    });

    it('SQL: call() works from any connection and search_path, in a trigger too, and commits or rolls back with it', async () => {
      // Runners declare the tasks they know (priority, argument-independent limits) at start.
      runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
      await pool.query(`
      CREATE FUNCTION ${appSchema}.order_placed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM ${schema}.call('sendEmail', jsonb_build_object('orderId', NEW.id), id => 'order-' || NEW.id);
        RETURN NEW;
      END $$;
      CREATE TRIGGER order_placed AFTER INSERT ON ${appSchema}.orders
        FOR EACH ROW EXECUTE FUNCTION ${appSchema}.order_placed();`);
      await inTx('ROLLBACK', (c) => placeOrder(c, 41));
      await inTx('COMMIT', (c) => placeOrder(c, 42));
      const direct = (
        await pool.query(`SELECT ${schema}.call('sendEmail', '{"orderId": 43}') AS id`)
      ).rows[0].id as string;
      expect(direct).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(await app.invocation('order-42').result({ timeoutMs: 20_000 })).toBe('sent 42');
      expect(await app.invocation(direct).result({ timeoutMs: 20_000 })).toBe('sent 43');
      expect(await count('invocations')).toBe(2);
      expect(sent.sort()).toEqual([42, 43]);
      await expect(pool.query(`SELECT ${schema}.call('sendEmail', '[1, 2]')`)).rejects.toThrow(
        /args must be a JSON object/,
      );
      await expect(pool.query(`SELECT ${schema}.call('sendEmial', '{}')`)).rejects.toThrow(
        /no runner has declared this task/,
      );
    });

    it('SQL: call() takes the task priority and argument-independent limits, and refuses tasks keyed by their arguments', async () => {
      app.task('report', async () => 'done', { priority: 8, registrationConcurrency: 'TASK' });
      app.task('perUser', async ({ user }: { user: number }) => user, {
        runningConcurrency: 'KEYS',
        keyArguments: ['user'],
      });
      runner = await app.startRunner({ runner: 'thread', concurrency: 1 });
      await runner.stop(); // declared; nothing runs, so the first call stays REGISTERED
      runner = undefined;
      const call = async (sql: string) => (await pool.query(sql)).rows[0].id as string;
      const first = await call(`SELECT ${schema}.call('report') AS id`);
      const second = await call(`SELECT ${schema}.call('report') AS id`);
      expect(second).toBe(first); // registration_concurrency TASK: reused, as from TypeScript
      const rec = await app[RUNTIME].getRecord(first);
      expect(rec.priority).toBe(8);
      await expect(pool.query(`SELECT ${schema}.call('perUser', '{"user": 1}')`)).rejects.toThrow(
        /running_concurrency \(KEYS\) is keyed by its arguments/,
      );
      expect(await count('invocations')).toBe(1);
    });

    it('emit with { tx } stores the event only when the transaction commits', async () => {
      const { triggers } = await backends();
      await inTx('ROLLBACK', (c) => app.emit('order.paid', { orderId: 1 }, { tx: c }));
      let beforeCommit = 0;
      const kept = await inTx('COMMIT', async (c) => {
        const id = await app.emit('order.paid', { orderId: 2 }, { tx: c });
        beforeCommit = Date.now();
        return id;
      });
      const evs = await triggers.events(0, 100);
      expect(evs.map((e) => [e.id, e.code])).toEqual([[kept, 'order.paid']]);
      // Stamped at the COMMIT (the event scanner reads by time), not when emit() ran.
      expect(evs[0]!.at).toBeGreaterThanOrEqual(beforeCommit);
      expect(app[RUNTIME].serializer.deserialize(evs[0]!.payload)).toEqual({ orderId: 2 });
    });

    it('refuses a pool, a client outside a transaction or in a failed one, and a client on another database, with the fix', async () => {
      const email = app.getTask('sendEmail')!;
      await expect(email.call({ orderId: 1 }, { tx: pool })).rejects.toMatchObject({
        code: 'TX_NOT_OPEN',
        message: expect.stringMatching(/pg\.Pool/),
        fix: expect.stringMatching(/pool\.connect\(\)/),
      });
      const c = await pool.connect();
      try {
        await expect(email.call({ orderId: 1 }, { tx: c })).rejects.toMatchObject({
          code: 'TX_NOT_OPEN',
          fix: expect.stringMatching(/BEGIN/),
        });
        await c.query('BEGIN');
        await c.query('SELECT 1/0').catch(() => {});
        await expect(email.call({ orderId: 1 }, { tx: c })).rejects.toMatchObject({
          code: 'TX_NOT_OPEN',
          fix: expect.stringMatching(/ROLLBACK/),
        });
        await c.query('ROLLBACK');
      } finally {
        c.release();
      }
      await expect(email.call({ orderId: 1 }, { tx: 'client' as never })).rejects.toMatchObject({
        code: 'BAD_PARAMETER',
      });
      // A database without taskapp's schema: the error names the configured one.
      const other = new pg.Client({ connectionString: PG_URL.replace(/\/test$/, '/postgres') });
      await other.connect();
      try {
        await other.query('BEGIN');
        await expect(email.call({ orderId: 1 }, { tx: other })).rejects.toMatchObject({
          code: 'TX_UNSUPPORTED',
          fix: expect.stringMatching(/postgres\.url/),
        });
        await other.query('ROLLBACK');
      } finally {
        await other.end();
      }
      expect(await count('invocations')).toBe(0);
    });
  },
);
