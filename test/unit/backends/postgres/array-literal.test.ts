/**
 * Arrays go to PostgreSQL as literals built by one join (array-literal.ts), not by pg's builder:
 * what the server reads back must be exactly what was sent, for every string a task id, an
 * argument or a result may hold, with nulls, numbers and booleans.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arrayLiteral,
  withArrayLiterals,
} from '../../../../src/backends/postgres/array-literal.js';
import { PG_URL } from '../../../helpers/postgres.js';

const TRICKY = [
  '',
  'plain',
  'NULL',
  'null',
  ' spaced ',
  'a,b',
  '{braces}',
  'quote " inside',
  'back\\slash',
  '\\"both\\"',
  '"',
  '\\',
  'new\nline\ttab',
  'ünïcødé ✓ 𝄞',
  JSON.stringify({ a: [1, '"x"'], b: 'c\\d' }),
];

describe('array literals', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
  });
  afterAll(() => client?.end());

  const back = async (cast: string, values: unknown[]) =>
    (await client.query(`SELECT $1::${cast} AS v`, withArrayLiterals([values]))).rows[0].v;

  it('strings of every kind come back as sent, with and without nulls', async () => {
    expect(await back('text[]', TRICKY)).toEqual(TRICKY);
    const withNulls = [null, ...TRICKY, undefined, 'end'];
    expect(await back('text[]', withNulls)).toEqual(withNulls.map((v) => v ?? null));
  });

  it('numbers, booleans and empty arrays', async () => {
    expect(await back('int[]', [1, -2, 3])).toEqual([1, -2, 3]);
    expect(await back('bigint[]', [1_700_000_000_000, null])).toEqual(['1700000000000', null]);
    expect(await back('bool[]', [true, false, null])).toEqual([true, false, null]);
    expect(await back('text[]', [])).toEqual([]);
  });

  it('leaves to pg what it does not take', () => {
    expect(arrayLiteral([[1], [2]])).toBeUndefined();
    expect(arrayLiteral([{ a: 1 }])).toBeUndefined();
    const values = ['x', [Buffer.from('a')], 3];
    expect(withArrayLiterals(values)).toBe(values);
  });
});
