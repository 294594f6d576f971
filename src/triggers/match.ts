/** Matching a result or event payload against what a condition asks for. */
import { isDeepStrictEqual } from 'node:util';
import type { ExceptionCondition } from './conditions.js';

/** Objects match when every field of `pattern` matches (recursively); anything else by deep equality. */
export function partialMatch(value: unknown, pattern: unknown): boolean {
  if (
    pattern !== null &&
    typeof pattern === 'object' &&
    !Array.isArray(pattern) &&
    Object.getPrototypeOf(pattern) === Object.prototype
  ) {
    if (value === null || typeof value !== 'object') {
      return false;
    }
    return Object.entries(pattern as Record<string, unknown>).every(([k, p]) =>
      partialMatch((value as Record<string, unknown>)[k], p),
    );
  }
  return isDeepStrictEqual(value, pattern);
}

export function matchesPredicateOrValue(
  value: unknown,
  m: ((v: any) => boolean) | { value: unknown } | undefined,
): boolean {
  if (m === undefined) {
    return true;
  }
  return typeof m === 'function' ? Boolean(m(value)) : partialMatch(value, m.value);
}

export function errorMatches(err: Error | undefined, c: ExceptionCondition): boolean {
  if (!err) {
    return false;
  }
  if (c.errors.length === 0) {
    return true;
  }
  return c.errors.some((e) => {
    if (typeof e === 'string') {
      return err.name === e;
    }
    const cls: { name: string; prototype: unknown } = e;
    return Object.prototype.isPrototypeOf.call(cls.prototype, err) || err.name === cls.name;
  });
}
