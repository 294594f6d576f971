/** "90s", "10m", "24h", "7d", "1h30m" -> milliseconds, for --since and --finished-before. */
import { TaskappError } from '../core/errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseDuration(text: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  const trimmed = text.trim();
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(trimmed))) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (trimmed === '' || matched !== trimmed.length) {
    throw new TaskappError('USAGE', `--${flag} "${text}" is not a duration`, {
      fix: 'write a number and a unit: 90s, 10m, 24h, 7d (or combined: 1h30m)',
      exitCode: 2,
    });
  }
  return total;
}
