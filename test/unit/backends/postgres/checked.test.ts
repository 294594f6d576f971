/**
 * issueChecked is issued into a pipelined transaction and awaited only after the statements issued
 * with it. When the connection drops, those fail first and the caller never awaits the checked
 * write: its failure must not surface as an unhandled rejection (vitest and Node treat that as a
 * crash; seen as "read ECONNRESET" from pg under pg_terminate_backend).
 */
import { afterEach, expect, it } from 'vitest';
import { issueChecked } from '../../../../src/backends/postgres/checked.js';
import type { PgDb, TxClient } from '../../../../src/backends/postgres/db.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

it('a checked write whose connection failed is not an unhandled rejection when left unawaited', async () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  // Like PgDb's transaction client: every statement's own promise has a handler attached.
  const client: TxClient = {
    query: () => {
      const p = Promise.reject(reset);
      p.catch(() => {});
      return p as never;
    },
  };
  const db = { channel: 'ch' } as unknown as PgDb;
  const checked = issueChecked(
    client,
    db,
    [{ id: 'a', to: 'SUCCESS', runnerId: 'r', result: '1' }],
    Date.now(),
  );
  expect(checked).toBeInstanceOf(Promise);
  await new Promise((r) => setTimeout(r, 50));
  expect(unhandled).toEqual([]);
  await expect(checked).rejects.toThrow('ECONNRESET');
});
