/**
 * Issue 16: an http:// or scheme-less URL for Redis or PostgreSQL fails at config load, naming the
 * field, instead of later with ENOENT //127.0.0.1 or ENOTFOUND base.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

const load = (env: Record<string, string>) => loadConfig({ configFile: false, env, code: {} });

describe('backend URLs at config load', () => {
  it('accepts redis://, rediss://, postgres:// and postgresql://', () => {
    expect(() => load({ TASKAPP__REDIS__URL: 'rediss://h:6380/1' })).not.toThrow();
    expect(() => load({ TASKAPP__POSTGRES__URL: 'postgresql://u@h/db' })).not.toThrow();
    expect(() => load({ TASKAPP__POSTGRES__URL: 'postgres://u@h:5432/db' })).not.toThrow();
  });

  it('refuses http:// and scheme-less URLs, naming the field and a valid example', () => {
    expect(() => load({ TASKAPP__REDIS__URL: 'http://127.0.0.1:6379' })).toThrow(
      /redis\.url.*"http:\/\/127\.0\.0\.1:6379" is not a redis:\/\/ or rediss:\/\/ URL \(its scheme is http:\/\/\)/s,
    );
    expect(() => load({ TASKAPP__POSTGRES__URL: '127.0.0.1:5432/base' })).toThrow(
      /postgres\.url.*is not a postgres:\/\/ or postgresql:\/\/ URL \(it has no scheme\); e\.g\. "postgres:\/\//s,
    );
  });
});
