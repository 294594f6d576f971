/**
 * Every numeric config input is bounded: an absurd value is refused at load with the field, the
 * value and where it came from. Durations that become timers stay under setTimeout's 2^31-1 ms,
 * beyond which Node fires the timer after 1 ms (a 30-day timeout_seconds timed out every attempt).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { MAX_TIMER_MS } from '../../../src/core/limits.js';

const load = (env: Record<string, string>) => loadConfig({ configFile: false, env, code: {} });

/** [env var, a value past its bound]; the error names the field the variable sets. */
const PAST_BOUND: Array<[string, string]> = [
  ['TASKAPP__TASK_DEFAULTS__TIMEOUT_SECONDS', '2592000'],
  ['TASKAPP__TASK_DEFAULTS__MAX_RETRIES', '1000000'],
  ['TASKAPP__TASK_DEFAULTS__MAX_RUNNING', '1e9'],
  ['TASKAPP__TASK_DEFAULTS__PARALLEL_BATCH_SIZE', '20000'],
  ['TASKAPP__TASK_DEFAULTS__RETRY_BACKOFF__MAX_SECONDS', '1e12'],
  ['TASKAPP__RUNNER__CONCURRENCY', '1000000'],
  ['TASKAPP__RUNNER__PROCESSES', '100000'],
  ['TASKAPP__RUNNER__MIN_PROCESSES', '100000'],
  ['TASKAPP__RUNNER__MAX_PROCESSES', '100000'],
  ['TASKAPP__RUNNER__HEARTBEAT_INTERVAL_SECONDS', '86400'],
  ['TASKAPP__RUNNER__RUNNER_DEAD_AFTER_SECONDS', '1e9'],
  ['TASKAPP__RUNNER__MAX_PENDING_SECONDS', '1e9'],
  ['TASKAPP__RUNNER__RECOVERY_CHECK_INTERVAL_SECONDS', '86400'],
  ['TASKAPP__RUNNER__SHUTDOWN_GRACE_SECONDS', '3000000'],
  ['TASKAPP__RUNNER__IDLE_TIMEOUT_SECONDS', '3000000'],
  ['TASKAPP__SQLITE__POLL_INTERVAL_MS', '3600000'],
  ['TASKAPP__SQLITE__BUSY_TIMEOUT_MS', '1e9'],
  ['TASKAPP__POSTGRES__POOL_SIZE', '100000'],
  ['TASKAPP__DATA_STORE__MIN_SIZE_TO_CACHE', '1e12'],
  ['TASKAPP__DATA_STORE__MAX_SIZE_TO_CACHE', '1e12'],
  ['TASKAPP__DATA_STORE__WARN_THRESHOLD', '1e12'],
  ['TASKAPP__DATA_STORE__LOCAL_CACHE_SIZE', '1e9'],
  ['TASKAPP__TRIGGERS__CATCH_UP_SECONDS', '1e9'],
  ['TASKAPP__TRIGGERS__EVENT_RETENTION_DAYS', '1e6'],
  ['TASKAPP__TRIGGERS__CHECK_INTERVAL_MS', '3600000'],
  ['TASKAPP__MONITOR__METRICS_PORT', '70000'],
];

describe('numeric config bounds', () => {
  it.each(PAST_BOUND)('%s=%s is refused, naming the field, the value and its source', (v, x) => {
    // TASKAPP__RUNNER__CONCURRENCY sets runner.concurrency.
    const field = v
      .replace(/^TASKAPP__/, '')
      .toLowerCase()
      .split('__')
      .join('\\.');
    expect(() => load({ [v]: x })).toThrow(
      new RegExp(`field "${field}" = ${Number(x)} \\(from env ${v}\\)`),
    );
  });

  it('keeps the defaults and values at the bounds', () => {
    const c = load({
      TASKAPP__TASK_DEFAULTS__TIMEOUT_SECONDS: String(7 * 86_400),
      TASKAPP__RUNNER__CONCURRENCY: '10000',
      TASKAPP__RUNNER__SHUTDOWN_GRACE_SECONDS: String(Math.floor(MAX_TIMER_MS / 1000)),
      TASKAPP__POSTGRES__POOL_SIZE: '1000',
      TASKAPP__MONITOR__METRICS_PORT: '65535',
    }).config;
    expect(c.task_defaults.timeout_seconds).toBe(7 * 86_400);
    expect(c.runner.concurrency).toBe(10_000);
    expect(c.runner.shutdown_grace_seconds * 1000).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(load({}).config.runner.concurrency).toBe(8);
  });
});
