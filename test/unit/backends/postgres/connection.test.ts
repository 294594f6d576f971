import { describe, expect, it } from 'vitest';
import { BackendError, ConfigError } from '../../../../src/core/errors.js';
import { createBackends } from '../../../../src/backends/registry.js';
import { loadConfig } from '../../../../src/config/load.js';
import {
  checkSchemaName,
  isConnectionError,
} from '../../../../src/backends/postgres/connection.js';
import { maskUrl } from '../../../../src/backends/common/connection-utils.js';

const open = (postgres: Record<string, unknown>) =>
  createBackends(
    loadConfig({ code: { backend: 'postgres', postgres }, configFile: false, env: {} }),
  );

describe('postgres connection settings', () => {
  it('masks the password in URLs', () => {
    expect(maskUrl('postgres://app:s3cret@db.example:5432/prod')).toBe(
      'postgres://app:****@db.example:5432/prod',
    );
    expect(maskUrl('postgres://app@db.example/prod')).toBe('postgres://app@db.example/prod');
  });

  it('accepts plain lower-case schema names only', () => {
    expect(checkSchemaName('taskapp_2')).toBe('taskapp_2');
    for (const bad of ['Taskapp', 'a-b', 'x;drop', '1abc', '', 'a'.repeat(51)]) {
      expect(() => checkSchemaName(bad)).toThrow(ConfigError);
    }
  });

  it('tells lost connections from other errors', () => {
    expect(
      isConnectionError(
        Object.assign(new Error('terminating connection due to administrator command'), {
          code: '57P01',
        }),
      ),
    ).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(
      false,
    );
  });

  it('refuses to start on an unreachable server, naming the URL without its password and what to check', async () => {
    const err = (await open({ url: 'postgres://app:s3cret@127.0.0.1:1/db' }).catch(
      (e: unknown) => e,
    )) as BackendError;
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain('postgres://app:****@127.0.0.1:1/db');
    expect(err.message).not.toContain('s3cret');
    expect(err.fix).toMatch(/server is running/);
    expect(err.exitCode).toBe(1);
  });

  it('rejects a bad schema name before connecting', async () => {
    await expect(
      open({ url: 'postgres://127.0.0.1:1/db', schema: 'Bad-Name' }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
