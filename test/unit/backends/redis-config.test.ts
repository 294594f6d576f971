import { describe, expect, it } from 'vitest';
import { keyPrefix } from '../../../src/backends/redis/keys.js';
import { statusPrelude } from '../../../src/backends/redis/scripts.js';
import { maskUrl } from '../../../src/backends/common/connection-utils.js';
import { BackendError } from '../../../src/core/errors.js';
import { openBackends } from '../../compliance/harness.js';

describe('redis backend configuration', () => {
  it('prefixes keys with a hash tag of the app id unless the prefix has one', () => {
    expect(keyPrefix('shop', undefined)).toBe('taskapp:{shop}:');
    expect(keyPrefix('shop', 'acme')).toBe('acme:{shop}:');
    expect(keyPrefix('shop', 'acme:{x}:')).toBe('acme:{x}:');
  });

  it('masks passwords in URLs', () => {
    expect(maskUrl('redis://user:secret@host:6379/0')).toBe('redis://user:****@host:6379/0');
    expect(maskUrl('amqp://guest:guest@127.0.0.1:5672')).not.toContain(':guest@');
  });

  it('generates the Lua status tables from status.ts', () => {
    const lua = statusPrelude();
    expect(lua).toMatch(/;RUNNING:,[A-Z_,]*PAUSED,/);
    expect(lua).toContain('local OWNED=set_of(",');
  });

  it('fails at start on an unreachable server, naming the URL without its password', async () => {
    const err = await openBackends({
      backend: 'redis',
      redis: { url: 'redis://u:hunter2@127.0.0.1:1' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toContain('redis://u:****@127.0.0.1:1');
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as BackendError).fix).toContain('redis.url');
  });

  it('fails at start when no sentinel answers, naming them and what to check', async () => {
    const err = await openBackends({
      backend: 'redis',
      redis: {
        url: 'redis://:hunter2@127.0.0.1:6379',
        sentinels: ['127.0.0.1:1', 'redis://127.0.0.1:2'],
        sentinelName: 'mymaster',
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toContain(
      'cannot connect to Redis at sentinel "mymaster" via 127.0.0.1:1,127.0.0.1:2 (All sentinels are unreachable',
    );
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as BackendError).fix).toContain('redis.sentinels');
  });

  it('fails at start on an unreachable RabbitMQ, naming the URL without its password', async () => {
    // The broker is built first, so the redis roles never connect here.
    const err = await openBackends({
      backend: 'redis',
      broker: 'rabbitmq',
      rabbitmq: { url: 'amqp://u:hunter2@127.0.0.1:1' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toContain('amqp://u:****@127.0.0.1:1');
    expect((err as Error).message).not.toContain('hunter2');
  });
});
