/**
 * Query parameters as pg sends them, with one-dimensional arrays written as PostgreSQL array
 * literals by one join: pg's own builder concatenates and escapes element by element, several
 * strings each, which on a busy runner was the largest single source of allocation (the hot path
 * sends arrays of hundreds of ids, statuses and payloads per statement).
 */

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

const quoted = (s: string): string => (NEEDS_ESCAPE.test(s) ? s.replace(ESCAPED, '\\$&') : s);

/**
 * `values` as an array literal (`{"a","b",NULL}`), or undefined for what it does not take (nested
 * arrays, objects, buffers, dates), which pg then writes itself.
 */
export function arrayLiteral(values: readonly unknown[]): string | undefined {
  const parts = new Array<string>(values.length);
  let nulls = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      nulls = true;
      parts[i] = 'NULL';
    } else if (typeof v === 'string') {
      parts[i] = quoted(v);
    } else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
      parts[i] = String(v);
    } else {
      return undefined;
    }
  }
  if (!nulls) {
    // Every element quoted by the separators: no string is made per element.
    return parts.length ? `{"${parts.join('","')}"}` : '{}';
  }
  return `{${parts.map((p, i) => (values[i] === null || values[i] === undefined ? p : `"${p}"`)).join(',')}}`;
}

/** Statement parameters with each array as its literal where `arrayLiteral` takes it. */
export function withArrayLiterals(values: readonly unknown[] | undefined): unknown[] | undefined {
  if (!values) {
    return undefined;
  }
  let out: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Array.isArray(v)) {
      const literal = arrayLiteral(v);
      if (literal !== undefined) {
        (out ??= [...values])[i] = literal;
      }
    }
  }
  return out ?? (values as unknown[]);
}
