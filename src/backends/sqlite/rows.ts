export { toRecord, type InvocationRow } from '../common/sql-rows.js';

/** Splits long id lists so no statement exceeds SQLite's variable limit. */
export function chunks<T>(xs: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) {
    out.push(xs.slice(i, i + size));
  }
  return out;
}
