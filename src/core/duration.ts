/**
 * The one duration grammar, read by the CLI's age flags (`--since 1h30m`) and by rate-limit periods
 * (`rate_limit = "100/1m"`):
 *
 *   duration := term (" "* term)*  |  unit        a bare unit means one of it: "h" = "1h"
 *   term     := number " "* unit
 *   number   := digits ["." digits]  |  "." digits
 *   unit     := ms | s | sec | m | min | h | d | w
 *
 * Terms add up ("1h30m", "1h 30m"). Units are lower case: "M" is not guessed to mean minutes.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** What to write instead, for an error's `fix`. */
export const DURATION_FIX =
  'write a number and a unit (ms, s, m, h, d, w): 90s, 10m, 24h, 7d, or combined: 1h30m';

type DurationParse = { ok: true; ms: number } | { ok: false; problem: string };

// One term: an optional number, then a word (checked against UNIT_MS so that a wrong unit is named).
const TERM = /\s*(\d+(?:\.\d+)?|\.\d+)?\s*([a-zA-Z]+)\s*/y;

/** Milliseconds, or why `text` is not a duration (a phrase to follow `is not a duration: `). */
export function parseDuration(text: string): DurationParse {
  const trimmed = text.trim();
  if (trimmed === '') {
    return { ok: false, problem: 'it is empty' };
  }
  let total = 0;
  let terms = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < trimmed.length) {
    const at = TERM.lastIndex;
    const m = TERM.exec(trimmed);
    if (!m) {
      const rest = trimmed.slice(at).trim();
      return {
        ok: false,
        problem: /^[\d.]+$/.test(rest) ? `${rest} has no unit` : `unexpected "${rest}"`,
      };
    }
    const [, amount, unit] = m;
    const unitMs = UNIT_MS[unit!];
    if (unitMs === undefined) {
      return { ok: false, problem: `unknown unit "${unit}"` };
    }
    if (amount === undefined && (at > 0 || TERM.lastIndex < trimmed.length)) {
      return { ok: false, problem: `"${unit}" has no number` };
    }
    total += (amount === undefined ? 1 : Number(amount)) * unitMs;
    terms++;
  }
  return terms > 0 ? { ok: true, ms: total } : { ok: false, problem: 'it is empty' };
}
