/**
 * Numeric query parameters of the web API, each with a bounded range: one request must not be able
 * to make the server allocate without limit (`/api/throughput?minutes=100000000` once asked for
 * 10^8 buckets). Out of range is a 400 naming the parameter, the value and the range.
 */
import { TaskappError } from '../../core/errors.js';

export interface ParamRange {
  min: number;
  max: number;
}

/** The ranges of the dashboard's numeric parameters (also shown in errors). */
export const PARAM_RANGES = {
  /** One week, in one-minute buckets at most. */
  minutes: { min: 1, max: 7 * 24 * 60 },
  page: { min: 1, max: 100_000 },
  pageSize: { min: 1, max: 500 },
  /** Epoch milliseconds from 1970 to the end of year 9999 (what Date can print). */
  time: { min: 0, max: 253_402_300_799_999 },
} satisfies Record<string, ParamRange>;

export class BadParameterError extends TaskappError {
  constructor(
    readonly parameter: string,
    readonly value: string,
    readonly allowed: ParamRange | string,
  ) {
    const range =
      typeof allowed === 'string' ? allowed : `an integer from ${allowed.min} to ${allowed.max}`;
    super('BAD_PARAMETER', `${parameter}: "${clip(value)}" is out of range: expected ${range}`, {
      fix: `pass ${parameter}=${typeof allowed === 'string' ? '...' : allowed.min}`,
      exitCode: 2,
    });
  }
}

/** An integer parameter within `range`; `def` when absent or empty. */
export function intParam(
  v: string | undefined,
  parameter: string,
  def: number,
  range: ParamRange,
): number {
  if (v === undefined || v === '') {
    return def;
  }
  const n = /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new BadParameterError(parameter, v, range);
  }
  return n;
}

/** A filter time: epoch ms, or an ISO / datetime-local string (server's time zone). */
export function timeParam(v: string | undefined, parameter: string): number | undefined {
  if (!v) {
    return undefined;
  }
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  const { min, max } = PARAM_RANGES.time;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new BadParameterError(
      parameter,
      v,
      'epoch milliseconds or an ISO date like 2025-01-31T12:00, between 1970 and 9999',
    );
  }
  return n;
}

/** A long value cut for the message (the error is echoed back to the client). */
function clip(v: string): string {
  return v.length > 40 ? `${v.slice(0, 40)}…` : v;
}
