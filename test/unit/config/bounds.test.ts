/**
 * Every numeric config input is bounded: an absurd value is refused at load with the field, the
 * value and where it came from. Durations that become timers stay under setTimeout's 2^31-1 ms,
 * beyond which Node fires the timer after 1 ms (a 30-day timeout_seconds timed out every attempt).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { MAX_TIMER_MS } from '../../../src/core/limits.js';

const load = (env: Record<string, string>) => loadConfig({ configFile: false, env, code: {} });

/** [env var, a value past its bound, the field as the error names it]. */
const PAST_BOUND: Array<[string, string, string]> = [
  ['TASKAPP__TASK_DEFAULTS__TIMEOUT_SECONDS', '2592000', 'task_defaults.timeout_seconds'],
  ['TASKAPP__TASK_DEFAULTS__MAX_RETRIES', '1000000', 'task_defaults.max_retries'],
  ['TASKAPP__TASK_DEFAULTS__MAX_RUNNING', '1e9', 'task_defaults.max_running'],
  ['TASKAPP__TASK_DEFAULTS__PARALLEL_BATCH_SIZE', '20000', 'task_defaults.parallel_batch_size'],
  [
    'TASKAPP__TASK_DEFAULTS__RETRY_BACKOFF__MAX_SECONDS',
    '1e12',
    'task_defaults.retry_backoff.max_seconds',
  ],
  ['TASKAPP__RUNNER__CONCURRENCY', '1000000', 'runner.concurrency'],
  ['TASKAPP__RUNNER__PROCESSES', '100000', 'runner.processes'],
  ['TASKAPP__RUNNER__MIN_PROCESSES', '100000', 'runner.min_processes'],
  ['TASKAPP__RUNNER__MAX_PROCESSES', '100000', 'runner.max_processes'],
  ['TASKAPP__RUNNER__HEARTBEAT_INTERVAL_SECONDS', '86400', 'runner.heartbeat_interval_seconds'],
  ['TASKAPP__RUNNER__RUNNER_DEAD_AFTER_SECONDS', '1e9', 'runner.runner_dead_after_seconds'],
  ['TASKAPP__RUNNER__MAX_PENDING_SECONDS', '1e9', 'runner.max_pending_seconds'],
  [
    'TASKAPP__RUNNER__RECOVERY_CHECK_INTERVAL_SECONDS',
    '86400',
    'runner.recovery_check_interval_seconds',
  ],
  ['TASKAPP__RUNNER__SHUTDOWN_GRACE_SECONDS', '3000000', 'runner.shutdown_grace_seconds'],
  ['TASKAPP__RUNNER__IDLE_TIMEOUT_SECONDS', '3000000', 'runner.idle_timeout_seconds'],
  ['TASKAPP__SQLITE__POLL_INTERVAL_MS', '3600000', 'sqlite.poll_interval_ms'],
  ['TASKAPP__SQLITE__BUSY_TIMEOUT_MS', '1e9', 'sqlite.busy_timeout_ms'],
  ['TASKAPP__POSTGRES__POOL_SIZE', '100000', 'postgres.pool_size'],
  ['TASKAPP__DATA_STORE__MIN_SIZE_TO_CACHE', '1e12', 'data_store.min_size_to_cache'],
  ['TASKAPP__DATA_STORE__MAX_SIZE_TO_CACHE', '1e12', 'data_store.max_size_to_cache'],
  ['TASKAPP__DATA_STORE__WARN_THRESHOLD', '1e12', 'data_store.warn_threshold'],
  ['TASKAPP__DATA_STORE__LOCAL_CACHE_SIZE', '1e9', 'data_store.local_cache_size'],
  ['TASKAPP__TRIGGERS__CATCH_UP_SECONDS', '1e9', 'triggers.catch_up_seconds'],
  ['TASKAPP__TRIGGERS__EVENT_RETENTION_DAYS', '1e6', 'triggers.event_retention_days'],
  ['TASKAPP__TRIGGERS__CHECK_INTERVAL_MS', '3600000', 'triggers.check_interval_ms'],
  ['TASKAPP__MONITOR__METRICS_PORT', '70000', 'monitor.metrics_port'],
];

describe('numeric config bounds', () => {
  it.each(PAST_BOUND)('%s=%s is refused, naming the field, the value and its source', (v, x, f) => {
    expect(() => load({ [v]: x })).toThrow(
      new RegExp(`field "${f.replace(/\./g, '\\.')}" = ${Number(x)} \\(from env ${v}\\)`),
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
