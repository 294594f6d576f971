/** Plain-text formatting shared by the commands: tables, times, durations, values. */
import { inspect } from 'node:util';
import { visibleLength } from './style.js';

/** Columns padded to the widest cell; the last column is not padded. */
export function table(
  headers: string[],
  rows: string[][],
  style: (h: string) => string = (h) => h,
): string {
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [style(line(headers)), ...rows.map(line)].join('\n');
}

/** 850ms, 12.3s, 4m 05s, 2h 03m, 3d 04h. */
export function humanDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)}ms`;
  }
  const s = ms / 1000;
  if (s < 60) {
    return `${s.toFixed(1)}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  }
  const h = Math.floor(m / 60);
  if (h < 24) {
    return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  }
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, '0')}h`;
}

export function ago(ms: number, now = Date.now()): string {
  return `${humanDuration(Math.max(0, now - ms))} ago`;
}

/** A value on one line: JSON where it is JSON, inspect() for the rest (Map, Date, BigInt...). */
export function oneLine(v: unknown): string {
  if (v === undefined) {
    return 'undefined';
  }
  try {
    const json = JSON.stringify(v);
    if (json !== undefined && !(v instanceof Map) && !(v instanceof Set) && typeof v !== 'bigint') {
      return json;
    }
  } catch {
    /* not JSON: below */
  }
  return inspect(v, { depth: 4, breakLength: Infinity });
}

/** A value that the --json output can carry (JSON-safe, with Map/Set/BigInt/Date spelled out). */
export function toJsonSafe(v: unknown): unknown {
  if (v === undefined) {
    return null;
  }
  if (typeof v === 'bigint') {
    return v.toString();
  }
  if (v instanceof Date) {
    return v.toISOString();
  }
  if (v instanceof Map) {
    return Object.fromEntries([...v].map(([k, x]) => [String(k), toJsonSafe(x)]));
  }
  if (v instanceof Set) {
    return [...v].map(toJsonSafe);
  }
  if (v instanceof Uint8Array) {
    return Buffer.from(v).toString('base64');
  }
  if (Array.isArray(v)) {
    return v.map(toJsonSafe);
  }
  if (typeof v === 'number' && !Number.isFinite(v)) {
    return String(v);
  }
  if (v && typeof v === 'object') {
    const json = (v as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') {
      return toJsonSafe(json.call(v));
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonSafe(x)]));
  }
  return v;
}
