/** Runner kind -> implementation. */
import { ConfigError } from '../core/errors.js';
import type { Runtime } from '../runtime/runtime.js';
import { type RUNNERS } from '../config/schema.js';
import type { Runner, RunnerOptions } from './runner.js';
import { startThreadRunner } from './thread.js';
import { startPersistentProcessRunner } from './persistent-process.js';
import { startProcessRunner } from './process.js';
import { startMultiThreadRunner } from './multi-thread.js';

const STARTERS: Partial<
  Record<(typeof RUNNERS)[number], (app: Runtime, opts: RunnerOptions) => Promise<Runner>>
> = {
  thread: startThreadRunner,
  'persistent-process': startPersistentProcessRunner,
  process: startProcessRunner,
  'multi-thread': startMultiThreadRunner,
};

export async function startRunner(app: Runtime, opts: RunnerOptions): Promise<Runner> {
  const kind = opts.runner ?? 'thread';
  const start = STARTERS[kind];
  if (!start) {
    throw new ConfigError(
      `runner "${kind}" is not available (known: ${Object.keys(STARTERS).join(', ')})`,
      `use one of: ${Object.keys(STARTERS).join(', ')}`,
    );
  }
  return start(app, opts);
}
