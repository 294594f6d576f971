/**
 * [redis] sentinels, sentinel_name, sentinel_password and wait_replicas at config load: good
 * settings load (host:port, [v6]:port and redis:// URLs), bad ones fail naming the field, the value,
 * where it came from and what to write instead.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/core/errors.js';
import { parseSentinel } from '../../../src/config/sentinel-address.js';
import { redisWhere, sentinelSettings } from '../../../src/backends/redis/sentinel.js';

const load = (env: Record<string, string>) => loadConfig({ configFile: false, env, code: {} });
const failure = (env: Record<string, string>): ConfigError => {
  try {
    load(env);
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error('loaded');
};

describe('[redis] sentinel settings', () => {
  it('loads host:port, [v6]:port and redis:// sentinels with a name', () => {
    const { config } = load({
      TASKAPP__REDIS__SENTINELS: '["10.0.0.1:26379", "[::1]:26380", "redis://:pw@s3:26381"]',
      TASKAPP__REDIS__SENTINEL_NAME: 'mymaster',
      TASKAPP__REDIS__WAIT_REPLICAS: '1',
    });
    expect(config.redis.sentinels).toHaveLength(3);
    expect(config.redis.wait_replicas).toBe(1);
    expect(parseSentinel('[::1]:26380')).toEqual({ host: '::1', port: 26380 });
    expect(parseSentinel('redis://u:p%40ss@s3:26381')).toEqual({
      host: 's3',
      port: 26381,
      username: 'u',
      password: 'p@ss',
    });
    const s = sentinelSettings(config.redis);
    expect(s?.name).toBe('mymaster');
    expect(redisWhere(config.redis.url, s)).toBe(
      'sentinel "mymaster" via 10.0.0.1:26379,[::1]:26380,s3:26381',
    );
    expect(sentinelSettings(load({}).config.redis)).toBeUndefined();
  });

  it('refuses an address without a port, naming field, value, source and a valid form', () => {
    const err = failure({
      TASKAPP__REDIS__SENTINELS: '["10.0.0.1"]',
      TASKAPP__REDIS__SENTINEL_NAME: 'm',
    });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(
      /field "redis\.sentinels\.0" = "10\.0\.0\.1" \(from env TASKAPP__REDIS__SENTINELS\) is invalid: "10\.0\.0\.1" is not a sentinel address: write "host:port" \(port 1-65535\)/,
    );
    expect(
      failure({ TASKAPP__REDIS__SENTINELS: '["h:70000"]', TASKAPP__REDIS__SENTINEL_NAME: 'm' })
        .message,
    ).toMatch(/redis\.sentinels\.0.*not a sentinel address/);
    expect(
      failure({ TASKAPP__REDIS__SENTINELS: '["http://h:1"]', TASKAPP__REDIS__SENTINEL_NAME: 'm' })
        .message,
    ).toMatch(/not a sentinel address/);
  });

  it('requires sentinel_name with sentinels, and sentinels with sentinel_name', () => {
    expect(failure({ TASKAPP__REDIS__SENTINELS: '["h:26379"]' }).message).toMatch(
      /field "redis\.sentinel_name" = undefined .* is required with redis\.sentinels: set it to the name the sentinels monitor/,
    );
    expect(failure({ TASKAPP__REDIS__SENTINEL_NAME: 'm' }).message).toMatch(
      /field "redis\.sentinels" = undefined .*is empty while redis\.sentinel_name is set/,
    );
    expect(
      failure({ TASKAPP__REDIS__SENTINELS: '["h:1"]', TASKAPP__REDIS__SENTINEL_NAME: 'a b' })
        .message,
    ).toMatch(/redis\.sentinel_name.*"a b".*must be 1-128 letters/);
  });

  it('refuses two passwords for the sentinels', () => {
    expect(
      failure({
        TASKAPP__REDIS__SENTINELS: '["redis://:a@h:1", "redis://:b@h:2"]',
        TASKAPP__REDIS__SENTINEL_NAME: 'm',
      }).message,
    ).toMatch(/redis\.sentinels.*more than one user or password/);
    expect(
      failure({
        TASKAPP__REDIS__SENTINELS: '["redis://:a@h:1"]',
        TASKAPP__REDIS__SENTINEL_NAME: 'm',
        TASKAPP__REDIS__SENTINEL_PASSWORD: 'a',
      }).message,
    ).toMatch(/set the password once, in redis\.sentinel_password/);
  });

  it('bounds wait_replicas and wait_timeout_ms', () => {
    expect(failure({ TASKAPP__REDIS__WAIT_REPLICAS: '17' }).message).toMatch(
      /redis\.wait_replicas.*17/,
    );
    expect(failure({ TASKAPP__REDIS__WAIT_REPLICAS: '-1' }).message).toMatch(
      /redis\.wait_replicas/,
    );
    expect(failure({ TASKAPP__REDIS__WAIT_TIMEOUT_MS: '5' }).message).toMatch(
      /redis\.wait_timeout_ms.*5/,
    );
    expect(failure({ TASKAPP__REDIS__WAIT_TIMEOUT_MS: '60001' }).message).toMatch(
      /redis\.wait_timeout_ms/,
    );
  });
});
