/** `--status` of the commands that filter invocations: any case, a clear error for a typo. */
import { TaskappError } from '../core/errors.js';
import { isStatus, STATUSES, type Status } from '../core/status.js';

export function parseStatusFlag(input: string): Status {
  const up = input.trim().toUpperCase();
  if (!isStatus(up)) {
    throw new TaskappError('USAGE', `--status "${input}" is not a status`, {
      fix: `use one of ${STATUSES.join(', ')} (any case)`,
      exitCode: 2,
    });
  }
  return up;
}
