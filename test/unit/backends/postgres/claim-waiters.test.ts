/**
 * One new ready item wakes one waiting claimer (migration 019, claim-waiters.ts), and a wake-up
 * that names a claimer which cannot take the item still gets it taken.
 */
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import type { InvocationRecord } from '../../../../src/core/records.js';
import { newInv } from '../../../compliance/suites/state.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope, withSchemaClient } from '../../../helpers/postgres.js';
import { until } from '../../../helpers/until.js';
import { openParts, type PgParts } from './parts.js';

const scope = pgScope('cwait');
// Claimers that never look again by themselves: an item reaches them by a wake-up or not at all
// (their claim then ends empty after its 30 s), so no test here judges by how long something took.
const NO_RECHECK = { idleRecheckMs: 600_000 };
/** Parts for `schema`: the first `n` claimers without a recheck, then plain ones. */
const open = (schema: string, claimers: number, plain = 0) =>
  Promise.all([
    ...Array.from({ length: claimers }, () => openParts(schema, NO_RECHECK)),
    ...Array.from({ length: plain }, () => openParts(schema)),
  ]);
const ids = async (claim: Promise<InvocationRecord[]> | undefined) =>
  (await claim!).map((r) => r.id);

/** Claimers that have claimed once, found nothing and now wait for a wake-up (their rows say so). */
async function waitingClaimers(schema: string, ...parts: PgParts[]) {
  const claims = parts.map((p, i) => p.hot.claimAndStart(1, 30_000, `r${i}`));
  const keys = parts.map((p) => p.db.waiter.key);
  await until(() =>
    withSchemaClient(schema, async (c) => {
      const { rows } = await c.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM claim_waiters WHERE listener = ANY($1) AND since IS NOT NULL',
        [keys],
      );
      return rows[0]!.n === parts.length;
    }),
  );
  return claims;
}

/** Which of `claims` settled within `ms`, with what. */
async function settled(claims: Promise<InvocationRecord[]>[], ms: number) {
  const out: Array<string[] | 'waiting'> = claims.map(() => 'waiting');
  claims.forEach((c, i) => void c.then((got) => (out[i] = got.map((r) => r.id))));
  await new Promise((r) => setTimeout(r, ms));
  return out;
}

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres wake-ups of one claimer', () => {
  afterAll(() => scope.cleanup());

  it('one new item wakes one of the waiting claimers; the other does not claim', async () => {
    const schema = scope.next();
    const [a, b, producer] = await open(schema, 2, 1);
    try {
      const claims = await waitingClaimers(schema, a!, b!);
      const before = [a!.counts.transactions, b!.counts.transactions];
      await producer!.hot.enqueue([newInv('x', 'add')], Date.now());
      await Promise.race(claims);
      const got = await settled(claims, 500);
      expect(got.filter((g) => g !== 'waiting')).toEqual([['x']]);
      const idle = got.indexOf('waiting');
      expect([a!, b!][idle]!.counts.transactions).toBe(before[idle]);
      // More than one item wakes every claimer.
      await producer!.hot.enqueue([newInv('y', 'add'), newInv('z', 'add')], Date.now());
      expect((await claims[idle]!).map((r) => r.id)).toHaveLength(1);
    } finally {
      await Promise.all([a, b, producer].map((p) => p!.close()));
    }
  });

  it('skips a waiting row whose listener is gone (its lock is free)', async () => {
    const schema = scope.next();
    const [a, producer] = await open(schema, 1, 1);
    try {
      const [claim] = await waitingClaimers(schema, a!);
      // Newer than a's, so it would be named first, but nobody holds its lock.
      await withSchemaClient(schema, (c) =>
        c.query(`INSERT INTO claim_waiters (listener, since) VALUES (7, now() + interval '1 s')`),
      );
      await producer!.hot.enqueue([newInv('x', 'add')], Date.now());
      expect(await ids(claim)).toEqual(['x']);
    } finally {
      await Promise.all([a, producer].map((p) => p!.close()));
    }
  });

  it('an item whose wake-up named a listener that never claims is taken by the next look', async () => {
    const schema = scope.next();
    // The claimer looks again by itself every 200 ms, as every idle claimer does every 5 s.
    const [a, producer] = await Promise.all([
      openParts(schema, { idleRecheckMs: 200 }),
      openParts(schema),
    ]);
    // A session that holds its lock and a fresh waiting row: a process whose host went away.
    const ghost = new pg.Client({ connectionString: PG_URL });
    await ghost.connect();
    try {
      const [claim] = await waitingClaimers(schema, a!);
      await ghost.query(`SET search_path TO "${schema}"`);
      await ghost.query('SELECT pg_advisory_lock(hashtext(current_schema()), 7)');
      await ghost.query(
        `INSERT INTO claim_waiters (listener, since) VALUES (7, now() + interval '1 s')`,
      );
      await producer!.hot.enqueue([newInv('x', 'add')], Date.now());
      expect(await ids(claim)).toEqual(['x']);
    } finally {
      await ghost.end();
      await Promise.all([a, producer].map((p) => p!.close()));
    }
  });

  it.each([
    ['another process', false],
    ['its own enqueue', true],
  ])(
    'a process named with no claim running passes the wake-up on to every claimer (named by %s)',
    async (_, own) => {
      const schema = scope.next();
      const [a, stopped, producer] = await open(schema, 1, 2);
      try {
        const [claim] = await waitingClaimers(schema, a!);
        // Its last claim found nothing, so its row waits, the most recent; then its runner stopped.
        const [last] = await waitingClaimers(schema, stopped!);
        stopped!.broker.interrupt();
        expect(await last).toEqual([]);
        await (own ? stopped! : producer!).hot.enqueue([newInv('x', 'add')], Date.now());
        expect(await ids(claim)).toEqual(['x']);
      } finally {
        await Promise.all([a, stopped, producer].map((p) => p!.close()));
      }
    },
  );

  it('a closed process leaves no row behind', async () => {
    const schema = scope.next();
    const a = await openParts(schema);
    const key = a.db.waiter.key;
    expect(key).not.toBeNull();
    await a.close();
    const rows = await withSchemaClient(schema, (c) =>
      c.query('SELECT 1 FROM claim_waiters WHERE listener = $1', [key]),
    );
    expect(rows.rowCount).toBe(0);
  });
});
