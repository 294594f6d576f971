/** A duration flag (--since, --finished-before) -> milliseconds, in the grammar of core/duration.ts. */
import { DURATION_FIX, parseDuration } from '../core/duration.js';
import { TaskappError } from '../core/errors.js';

export function parseDurationFlag(text: string, flag: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    throw new TaskappError('USAGE', `--${flag} "${text}" is not a duration: ${parsed.problem}`, {
      fix: DURATION_FIX,
      exitCode: 2,
    });
  }
  return parsed.ms;
}
