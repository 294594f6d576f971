/**
 * Issue 21: backends as plugins. A backend is chosen by name: a built-in, a name given to
 * registerBackend, or a package resolved from the project of the config file. A typo of a built-in
 * name, a missing package, a package exporting no backend or one written for another backend API
 * version fails at start, naming the backend, what was expected and the fix.
 */
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, registerBackend } from '../../../src/index.js';
import { BACKEND_API_VERSION, defineBackend } from '../../../src/backend-api.js';
import { createBackends, loadBackend } from '../../../src/backends/registry.js';
import { createMemoryBackend } from '../../../src/backends/memory/index.js';
import { loadConfig } from '../../../src/config/load.js';
import { openBackends } from '../../../src/testing/harness.js';
import { tempDir } from '../../helpers/tmp.js';
import { installGuard } from '../../../src/workflows/guard.js';
import { currentInvocation } from '../../../src/orchestration/context.js';
import { DeterminismError } from '../../../src/core/errors.js';
import { createLogger } from '../../../src/core/logger.js';

const tmp = tempDir('taskapp-plugins-');
afterAll(() => tmp.cleanup());

/** A project folder with a taskapp.toml and the given packages in its node_modules. */
function project(name: string, toml: string, packages: Record<string, string> = {}): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'taskapp.toml'), toml);
  for (const [pkg, source] of Object.entries(packages)) {
    const pkgDir = join(dir, 'node_modules', pkg);
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(
      join(pkgDir, 'package.json'),
      JSON.stringify({ name: pkg, type: 'module', exports: { '.': { import: './index.js' } } }),
    );
    writeFileSync(join(pkgDir, 'index.js'), source);
  }
  return dir;
}

/** Opens the backends a project's config names, from another folder (the project is not cwd). */
async function startIn(dir: string) {
  const resolved = loadConfig({ configFile: join(dir, 'taskapp.toml'), cwd: tmp.dir, env: {} });
  const b = await createBackends(resolved);
  await b.close();
  return b;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as ConfigError,
  );

describe('backend names in the config', () => {
  it('a near miss of a built-in name is a typo, named with the built-in meant', () => {
    for (const [field, value, meant] of [
      ['backend', 'redsi', 'redis'],
      ['broker', 'rabbitmg', 'rabbitmq'],
      ['state_backend', 'postgress', 'postgres'],
    ] as const) {
      let err: unknown;
      try {
        loadConfig({ code: { [field]: value }, configFile: false, env: {} });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain(field);
      expect((err as Error).message).toContain(`did you mean "${meant}"?`);
    }
  });

  it('a name that is no package name is refused; a package name is accepted', () => {
    expect(() =>
      loadConfig({ code: { backend: 'My Backend' }, configFile: false, env: {} }),
    ).toThrow(/neither a built-in backend .* nor a package name/);
    const cfg = loadConfig({
      code: { backend: 'sqlite', broker: '@acme/taskapp-backend-sqs' },
      configFile: false,
      env: {},
    });
    expect(cfg.config.broker).toBe('@acme/taskapp-backend-sqs');
  });
});

describe('loading a backend plugin', () => {
  const resolved = loadConfig({ configFile: false, env: {} });

  it('the built-in rabbitmq is its package, under either name, checked like any plugin', async () => {
    const byName = await loadBackend('rabbitmq', resolved);
    const byPackage = await loadBackend('taskapp-backend-rabbitmq', resolved);
    expect(byName).toMatchObject({ name: 'rabbitmq', apiVersion: BACKEND_API_VERSION });
    expect(byPackage.create).toBe(byName.create);
  });

  it('registerBackend makes a factory available by name, for any role', async () => {
    registerBackend('mem-from-code', createMemoryBackend);
    const b = await openBackends({ backend: 'mem-from-code' });
    try {
      expect(b.names.state).toBe('mem-from-code');
      await b.state.insert(
        [{ id: 'a', taskId: 't', args: '{}', priority: 5, parentId: null, workflowId: null }],
        1,
      );
      expect((await b.state.get('a'))?.status).toBe('REGISTERED');
    } finally {
      await b.close();
    }
  });

  it('registerBackend refuses a plugin written for another API version at once', () => {
    const plugin = {
      ...defineBackend({ name: 'future', create: createMemoryBackend }),
      apiVersion: 99,
    };
    expect(() => registerBackend('future', plugin)).toThrow(/backend API version 99/);
  });

  it('a package that is not installed fails at start with its name and the install command', async () => {
    const dir = project('missing', 'backend = "taskapp-backend-nope"\n');
    const err = await failure(startIn(dir));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(
      'backend "taskapp-backend-nope" is not built in (memory, sqlite, redis, postgres, rabbitmq) and no package of that name is installed',
    );
    expect(err.message).toContain(dir);
    expect(err.fix).toContain('npm install taskapp-backend-nope');
  });

  it('a package exporting no backend fails, saying what it must export', async () => {
    const dir = project('no-export', 'broker = "taskapp-backend-empty"\n', {
      'taskapp-backend-empty': 'export const somethingElse = 1;\n',
    });
    const err = await failure(startIn(dir));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('"taskapp-backend-empty" exports no backend');
    expect(err.fix).toContain('defineBackend');
  });

  it('a package written for another backend API version fails, naming both versions', async () => {
    const dir = project('old-api', 'broker = "taskapp-backend-old"\n', {
      'taskapp-backend-old': `export default { apiVersion: 0, name: 'old', create: async () => ({ close: async () => {} }) };\n`,
    });
    const err = await failure(startIn(dir));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(
      `"taskapp-backend-old" was written for backend API version 0; this taskapp provides version ${BACKEND_API_VERSION}`,
    );
    expect(err.fix).toContain('npm install taskapp-backend-old@latest');
  });

  it("a package is resolved from the config file's project and gets its [plugins.<name>] table", async () => {
    const dir = project(
      'by-name',
      [
        'backend = "memory"',
        'data_store_backend = "taskapp-backend-seen"',
        '[plugins.taskapp-backend-seen]',
        'label = "from the toml"',
        '',
      ].join('\n'),
      {
        'taskapp-backend-seen': [
          'export const seen = [];',
          `export default { apiVersion: ${BACKEND_API_VERSION}, name: 'seen', create: async (cfg, options) => {`,
          '  seen.push(options);',
          '  const blobs = new Map();',
          '  return { data: { put: async (k, v) => { blobs.set(k, v); }, get: async (k) => blobs.get(k) ?? null }, close: async () => {} };',
          '} };',
          '',
        ].join('\n'),
      },
    );
    const b = await startIn(dir);
    expect(b.names.data).toBe('taskapp-backend-seen');
    const mod = (await import(join(dir, 'node_modules/taskapp-backend-seen/index.js'))) as {
      seen: unknown[];
    };
    expect(mod.seen).toEqual([{ label: 'from the toml' }]);
  });
});

describe('a backend package linked from outside node_modules (npm workspaces, npm link)', () => {
  // Seen in CI: the rabbitmq package of this repository, linked into node_modules by the
  // workspace, ran from packages/ and its Date.now() was taken for a workflow task's own call
  // (under determinism = "strict" it would have thrown into the task's call of another task).
  it("is library code: its clock reads are not a workflow task's", async () => {
    const real = join(tmp.dir, 'linked-src');
    mkdirSync(real, { recursive: true });
    writeFileSync(
      join(real, 'package.json'),
      JSON.stringify({ name: 'taskapp-backend-linked', type: 'module', main: 'index.js' }),
    );
    writeFileSync(
      join(real, 'index.js'),
      [
        'export function stamp() { return Date.now(); }',
        `export default { apiVersion: ${BACKEND_API_VERSION}, name: 'linked', create: async () => {`,
        '  const blobs = new Map();',
        '  return { data: { put: async (k, v) => { blobs.set(k, v); }, get: async (k) => blobs.get(k) ?? null }, close: async () => {} };',
        '} };',
        '',
      ].join('\n'),
    );
    const dir = project(
      'linked',
      'backend = "memory"\ndata_store_backend = "taskapp-backend-linked"\n',
    );
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(real, join(dir, 'node_modules', 'taskapp-backend-linked'), 'dir');
    const b = await startIn(dir);
    expect(b.names.data).toBe('taskapp-backend-linked');
    // The module as Node loaded it: by its real path.
    const mod = (await import(join(realpathSync(real), 'index.js'))) as { stamp: () => number };
    installGuard();
    const guarded = {
      invocationId: 'inv',
      taskId: 'wf',
      workflowId: null,
      guard: { taskId: 'wf', strict: true, logger: createLogger('error') },
    };
    expect(currentInvocation.run(guarded, () => mod.stamp())).toBeTypeOf('number');
    // The guard is on: the same read from this file, a task's code, is refused.
    expect(() => currentInvocation.run(guarded, () => Date.now())).toThrow(DeterminismError);
  });
});

describe('registerBackend names', () => {
  it('refuses a built-in name, a near miss of one and a name the config cannot hold', () => {
    for (const [name, said] of [
      ['redis', '"redis" is a built-in backend'],
      ['postgress', 'did you mean "postgres"?'],
      ['My Backend', 'nor a package name'],
    ] as const) {
      let err: unknown;
      try {
        registerBackend(name, createMemoryBackend);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain(said);
      expect((err as ConfigError).fix).toContain('not a built-in one');
    }
  });
});

describe('a plugin serving some roles', () => {
  it('chosen for a role it does not serve, fails naming the role and the field to set', async () => {
    registerBackend('data-only', async () => ({
      data: (await createMemoryBackend(loadConfig({ configFile: false, env: {} }), {})).data,
      close: async () => {},
    }));
    const err = await failure(openBackends({ backend: 'memory', triggerStore: 'data-only' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe('backend "data-only" cannot serve the triggers role');
    expect(err.fix).toContain('set trigger_store to');
  });
});
