/**
 * text[] columns (a claim's id lists, history) are split at once when PostgreSQL quoted none of
 * their elements, and go through pg's own parser otherwise: both give the same arrays.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientConfig, textArrayFast } from '../../../../src/backends/postgres/connection.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL } from '../../../helpers/postgres.js';

it('splits only arrays with no quoted element, no NULL and one dimension', () => {
  expect(textArrayFast('{}')).toEqual([]);
  expect(textArrayFast('{a}')).toEqual(['a']);
  expect(textArrayFast('{0190a1b2-0000-7000-8000-00000000abcd,x:y}')).toEqual([
    '0190a1b2-0000-7000-8000-00000000abcd',
    'x:y',
  ]);
  for (const other of ['{"a,b"}', '{NULL}', '{a,NULL}', '{{a},{b}}', '[0:1]={a,b}', '{""}']) {
    expect(textArrayFast(other), other).toBeUndefined();
  }
});

const ARRAYS = [
  `ARRAY[]::text[]`,
  `ARRAY['a','b']`,
  `ARRAY['a,b','c']`,
  `ARRAY['NULL', NULL, 'null', 'NULLX']`,
  `ARRAY['', ' ', 'x y', '"q"', 'back\\slash', '{brace}']`,
  `ARRAY[ARRAY['a','b'], ARRAY['c','d']]`,
  `'[0:1]={a,b}'::text[]`,
  `ARRAY['1700000000000,RUNNING,r1', '1700000000001,SUCCESS,']`,
];

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres text[] parsing', () => {
  const ours = new pg.Client(clientConfig(pg, PG_URL, 'public', 'taskapp-test'));
  const plain = new pg.Client({ connectionString: PG_URL });
  beforeAll(() => Promise.all([ours.connect(), plain.connect()]));
  afterAll(() => Promise.all([ours.end(), plain.end()]));

  it("reads every text[] as pg's own parser does", async () => {
    const sql = `SELECT ${ARRAYS.map((a, i) => `${a} AS a${i}`).join(', ')}`;
    const [mine, theirs] = await Promise.all([ours.query(sql), plain.query(sql)]);
    expect(mine.rows[0]).toEqual(theirs.rows[0]);
    expect(mine.rows[0].a3).toEqual(['NULL', null, 'null', 'NULLX']);
    expect(mine.rows[0].a2).toEqual(['a,b', 'c']);
  });
});
