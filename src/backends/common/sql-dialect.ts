/** What differs between the SQL backends in the statements they share (sqlite, postgres). */
export interface SqlDialect {
  /** The n-th (1-based) parameter: `?` or `$n`. */
  param(n: number): string;
  /** Appended to ORDER BY a text column so ids sort by code point, as in the other backends. */
  textOrder: string;
}

export const SQLITE_DIALECT: SqlDialect = { param: () => '?', textOrder: '' };
export const POSTGRES_DIALECT: SqlDialect = { param: (n) => `$${n}`, textOrder: ' COLLATE "C"' };

/** `text` in dialect `d`: each `?` becomes the dialect's parameter, `{order}` its text order. */
export function inDialect(d: SqlDialect, text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => d.param(++n)).replace(/\{order\}/g, d.textOrder);
}

/**
 * Takes or renews lease `name` for `holder` unless another holds it unexpired; parameters (name,
 * holder, expiresAt, now); it changed a row if it took the lease.
 */
export const LEASE_SQL = `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
  ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
  WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`;

/** Constant strings (status names) as the items of a SQL list: 'A','B' (no quoting inside: names only). */
export const sqlList = (xs: Iterable<string>): string => [...xs].map((s) => `'${s}'`).join(',');
