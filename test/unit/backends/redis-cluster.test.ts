import { describe, expect, it } from 'vitest';
import { shardPrefixes, tagSlot } from '../../../src/backends/redis/cluster/shards.js';
import { hash16, newInvocationId, placementOf } from '../../../src/core/ids.js';
import { BackendError, ConfigError } from '../../../src/core/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import { placementScope } from '../../../src/orchestration/concurrency.js';
import { openBackends } from '../../compliance/harness.js';

describe('redis cluster layout', () => {
  it('computes slots as Redis does (CLUSTER KEYSLOT foo = 12182, bar = 5061)', () => {
    expect(tagSlot('foo')).toBe(12182);
    expect(tagSlot('bar')).toBe(5061);
  });

  it('gives each shard its own tag, spread evenly over the slot space', () => {
    const prefixes = shardPrefixes('shop', undefined, 12);
    expect(new Set(prefixes).size).toBe(12);
    const slots = prefixes.map((p) => tagSlot(/\{([^}]+)\}/.exec(p)![1]!));
    slots.forEach((slot, k) => {
      expect(slot).toBeGreaterThanOrEqual(Math.floor((k * 16384) / 12));
      expect(slot).toBeLessThan(Math.floor(((k + 1) * 16384) / 12));
    });
    // Three masters with equal slot ranges (redis-cli --cluster create) hold four shards each.
    const perMaster = [0, 0, 0];
    slots.forEach((s) => perMaster[s < 5461 ? 0 : s < 10923 ? 1 : 2]!++);
    expect(perMaster).toEqual([4, 4, 4]);
    expect(prefixes[0]).toMatch(/^taskapp:\{shop:0(\.\d+)?\}:$/);
    expect(shardPrefixes('shop', 'acme', 2)[1]).toMatch(/^acme:\{shop:1(\.\d+)?\}:$/);
  });

  it('refuses a prefix with its own hash tag (every shard would share one slot)', () => {
    expect(() => shardPrefixes('shop', 'acme:{x}:', 4)).toThrow(ConfigError);
  });

  it('places an id with its scope, and reads the placement back from the id alone', () => {
    const bits = hash16('t:k:{"user":1}');
    for (let i = 0; i < 100; i++) {
      expect(placementOf(newInvocationId(bits))).toBe(bits);
    }
    expect(newInvocationId(bits)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    // Ids of another form (given by the caller) hash to theirs.
    expect(placementOf('nightly-2026-01-01')).toBe(hash16('nightly-2026-01-01'));
    // Random ids spread over the shards.
    const per = new Array<number>(12).fill(0);
    for (let i = 0; i < 12_000; i++) {
      per[placementOf(newInvocationId()) % 12]!++;
    }
    expect(Math.min(...per)).toBeGreaterThan(700);
  });

  it('co-locates one scope: the common key, else the task (both keys start with it)', () => {
    const run = (key: string) => ({ key, maxRunning: 1, reroute: true });
    expect(placementScope('t', null, null)).toBeNull();
    expect(placementScope('t', 't:a', null)).toBe('t:a');
    expect(placementScope('t', null, run('t:b'))).toBe('t:b');
    expect(placementScope('t', 't:a', run('t:a'))).toBe('t:a');
    expect(placementScope('t', 't:a', run('t'))).toBe('t');
    expect(placementScope('t', 't:a', run('t:k:b'))).toBe('t');
  });
});

describe('redis cluster configuration', () => {
  const load = (redis: Record<string, unknown>) =>
    loadConfig({ code: { backend: 'redis', redis } as never, configFile: false, env: {} });

  it('bounds shards, naming the field and the value', () => {
    for (const shards of [0, 1000, 2.5]) {
      const err = (() => {
        try {
          load({ cluster: ['redis://127.0.0.1:7001'], shards });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('redis.shards');
    }
  });

  it('wants redis:// URLs for the cluster nodes', () => {
    expect(() => load({ cluster: ['127.0.0.1:7001'] })).toThrow(/redis\.cluster/);
  });

  it('fails at start on an unreachable cluster, with the fix', async () => {
    const err = await openBackends({
      backend: 'redis',
      redis: { cluster: ['redis://u:hunter2@127.0.0.1:1'] },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as BackendError).fix).toContain('redis.cluster');
  });
});
