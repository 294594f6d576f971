/**
 * A Redis with neither AOF nor RDB snapshots loses every invocation on restart. taskapp still
 * starts (a cache-only Redis can be a choice) but says so once per process and server, in the log,
 * unless redis.allow_no_persistence is set.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../core/logger.js';

export type PersistenceState = 'persistent' | 'not-persistent' | 'unknown';

/** What the server says: AOF on, or at least one RDB `save` rule. */
export async function readPersistence(redis: Redis): Promise<PersistenceState> {
  try {
    const aof = ((await redis.config('GET', 'appendonly')) as string[])[1];
    const save = ((await redis.config('GET', 'save')) as string[])[1];
    return aof === 'yes' || (save ?? '').trim() !== '' ? 'persistent' : 'not-persistent';
  } catch {
    // CONFIG disabled (managed Redis): INFO shows AOF, but not whether snapshots are scheduled.
    const info = await redis.info('persistence').catch(() => '');
    return /aof_enabled:1/.test(info) ? 'persistent' : 'unknown';
  }
}

export class PersistenceCheck {
  private readonly done = new Set<string>();

  /** Logs a warning the first time a server without persistence (or unknown) is seen. */
  async check(
    redis: Redis,
    opts: { url: string; logger: Logger; allowNoPersistence: boolean },
  ): Promise<void> {
    if (opts.allowNoPersistence || this.done.has(opts.url)) {
      return;
    }
    this.done.add(opts.url);
    const state = await readPersistence(redis);
    const silence =
      'set redis.allow_no_persistence = true (env TASKAPP__REDIS__ALLOW_NO_PERSISTENCE=true) to silence this';
    if (state === 'not-persistent') {
      opts.logger.warn(
        `redis has neither AOF nor RDB snapshots on: a restart of Redis loses every queued, running and finished invocation; turn on \`appendonly yes\` (or \`save\` rules) on the server, or ${silence}`,
        { url: opts.url },
      );
    } else if (state === 'unknown') {
      opts.logger.warn(
        `could not check whether redis persists its data (CONFIG GET is disabled and AOF is off): without RDB snapshots a restart loses every invocation; check the provider's persistence settings, or ${silence}`,
        { url: opts.url },
      );
    }
  }
}

/** One per process: every backend instance opened on the same server shares it. */
export const persistenceCheck = new PersistenceCheck();
