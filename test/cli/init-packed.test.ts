/**
 * Issue 16: `taskapp init`'s next steps, followed exactly as printed, from a packed tarball
 * installed into an empty project (as a newcomer would). The scaffold must depend on that tarball,
 * not on a version no registry has.
 *
 * Within minutes: npm prefers its cache (npm_config_prefer_offline) and runs without install
 * scripts (npm_config_ignore_scripts: building better-sqlite3 from source takes minutes on this
 * machine), so this checkout's compiled better-sqlite3 binding is copied in after each install.
 */
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { ROOT, ensureBuilt, sh } from './helpers.js';

const NPM_ENV = { npm_config_prefer_offline: 'true', npm_config_ignore_scripts: 'true' };
const BINDING = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';

function copyBinding(project: string): void {
  mkdirSync(join(project, BINDING, '..'), { recursive: true });
  copyFileSync(join(ROOT, BINDING), join(project, BINDING));
}

describe('taskapp init from a packed tarball', () => {
  let t: { dir: string; cleanup: () => void };
  /** The scaffolded project, installed from the tarball (set by the first test). */
  let app: string | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    t = tempDir('taskapp-packed-');
  });
  afterAll(() => t?.cleanup());

  it('npm install, npm test and the printed commands work exactly as printed', async () => {
    const pack = await sh('npm', ['pack', '--ignore-scripts', '--pack-destination', t.dir], {
      cwd: ROOT,
    });
    expect(pack.code, pack.stderr).toBe(0);
    const tgz = join(
      t.dir,
      readdirSync(t.dir).find((f) => f.endsWith('.tgz'))!,
    );

    const proj = join(t.dir, 'proj');
    mkdirSync(proj);
    writeFileSync(join(proj, 'package.json'), '{"name": "proj", "private": true}\n');
    const install = await sh('npm', ['install', '--no-audit', '--no-fund', tgz], {
      cwd: proj,
      env: NPM_ENV,
    });
    expect(install.code, install.stderr).toBe(0);
    copyBinding(proj);

    const init = await sh('npx', ['--no-install', 'taskapp', 'init', 'my-app'], { cwd: proj });
    expect(init.code, init.stderr).toBe(0);
    const made = join(proj, 'my-app');
    const pkg = JSON.parse(readFileSync(join(made, 'package.json'), 'utf8'));
    expect(pkg.dependencies.taskapp).toBe(`file:${tgz}`);
    // Its prepare (a build) never runs where it comes built; npm 11 would warn of it at each install.
    expect(pkg.allowScripts).toEqual({
      'better-sqlite3': true,
      esbuild: true,
      [`file:${tgz}`]: false,
    });
    const next = init.stdout
      .split('Next:')[1]!
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect(next).toEqual([
      'cd my-app && npm install',
      'npm test',
      `npx taskapp call add --args '{"x": 1, "y": 2}' && npx taskapp run --once`,
    ]);

    const first = await sh('sh', ['-c', next[0]!], { cwd: proj, env: NPM_ENV });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    copyBinding(made);
    app = made;
    const test = await sh('sh', ['-c', next[1]!], { cwd: made });
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/Tests\s+3 passed/);
    const run = await sh('sh', ['-c', next[2]!], { cwd: made });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const id = run.stdout.trim().split('\n')[0]!.trim();
    const status = await sh('npx', ['--no-install', 'taskapp', 'status', id, '--json'], {
      cwd: made,
    });
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'SUCCESS', result: 3 });
  }, 600_000);

  // Issue 21: a backend package written against the installed tarball's subpath exports.
  it('taskapp/backend and taskapp/testing type-check from the installed tarball, and load', async () => {
    expect(app, 'the scaffolded project of the test above').toBeDefined();
    // The example backend (sources and its vitest file) and the RabbitMQ broker's package
    // (sources; amqplib came with taskapp), each with its own compiler options.
    for (const [from, parts] of [
      ['examples/backend-plugin', ['src', 'test']],
      ['packages/taskapp-backend-rabbitmq', ['src']],
    ] as const) {
      const copy = join(app!, from);
      for (const part of parts) {
        cpSync(join(ROOT, from, part), join(copy, part), { recursive: true });
      }
      const own = JSON.parse(
        readFileSync(join(ROOT, from, 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''),
      ) as { compilerOptions: Record<string, unknown> };
      writeFileSync(
        join(copy, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...own.compilerOptions, noEmit: true, rootDir: '.' },
          include: parts,
        }),
      );
      const tsc = await sh('npx', ['--no-install', 'tsc', '-p', join(from, 'tsconfig.json')], {
        cwd: app!,
      });
      expect(tsc.code, `${from}: ${tsc.stdout}${tsc.stderr}`).toBe(0);
    }

    // At run time: the API version from the subpath, and the built-in rabbitmq from its package.
    const probe = await sh(
      'node',
      [
        '--input-type=module',
        '-e',
        `const api = await import('taskapp/backend');
const { registerBackend } = await import('taskapp');
console.log(JSON.stringify({ version: api.BACKEND_API_VERSION, planAcquire: typeof api.planAcquire, registerBackend: typeof registerBackend }));`,
      ],
      { cwd: app! },
    );
    expect(probe.code, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toEqual({
      version: 1,
      planAcquire: 'function',
      registerBackend: 'function',
    });
  }, 120_000);

  // Issue 21: taskapp/testing as a backend author runs it, from the installed tarball (vitest came
  // with the scaffold; fast-check, its other optional peer, is added as the docs say).
  it('the example backend passes taskapp/testing run from the installed tarball', async () => {
    expect(app, 'the scaffolded project of the tests above').toBeDefined();
    const add = await sh('npm', ['install', '--no-audit', '--no-fund', '-D', 'fast-check@^4'], {
      cwd: app!,
      env: NPM_ENV,
    });
    expect(add.code, add.stderr).toBe(0);
    copyBinding(app!);
    // With the example's own vitest config (not the scaffold's, which sets dev mode).
    const example = join(app!, 'examples/backend-plugin');
    cpSync(
      join(ROOT, 'examples/backend-plugin/vitest.config.ts'),
      join(example, 'vitest.config.ts'),
    );
    const run = await sh(
      'npx',
      ['--no-install', 'vitest', 'run', '--root', '.', '--config', 'vitest.config.ts'],
      { cwd: example },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Every suite test passes (the count grows with the suites; the two pause tests need a pauses role).
    expect(run.stdout).toMatch(/Tests\s+\d+ passed \| 2 skipped/);
    expect(run.stdout).not.toMatch(/\d+ failed/);
  }, 600_000);
});
