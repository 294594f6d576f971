/**
 * `taskapp init` writes a project whose own `npm test` passes and whose tasks `npx taskapp run`
 * runs. node_modules is linked from this checkout (no registry): taskapp -> this package (what
 * TASKAPP_INIT_LOCAL's `file:` dependency installs as), vitest -> ours.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { ROOT, cli, ensureBuilt, linkNodeModules, sh } from './helpers.js';

describe('taskapp init', () => {
  let t: { dir: string; cleanup: () => void };
  let app: string;

  beforeAll(async () => {
    await ensureBuilt();
    t = tempDir('taskapp-init-');
    app = join(t.dir, 'my-app');
  });
  afterAll(() => t?.cleanup());

  it('scaffolds the project and prints the next three commands', async () => {
    const r = await cli(['init', 'my-app'], { cwd: t.dir, env: { TASKAPP_INIT_LOCAL: '1' } });
    expect(r.code, r.stderr).toBe(0);
    for (const f of [
      'taskapp.toml',
      'src/tasks.ts',
      'test/tasks.test.ts',
      'package.json',
      'vitest.config.ts',
      'tsconfig.json',
      '.gitignore',
    ]) {
      expect(existsSync(join(app, f)), f).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('my-app');
    expect(pkg.dependencies.taskapp).toBe(`file:${ROOT.replace(/\/$/, '')}`);
    // The install scripts a project needs, so npm 11 does not warn of them at each install.
    expect(pkg.allowScripts).toEqual({ 'better-sqlite3': true, esbuild: true });
    // node itself, not the taskapp shim through sh: the SIGTERM of a container or systemd reaches the runner.
    expect(pkg.scripts).toMatchObject({
      test: 'vitest run',
      start: 'node node_modules/taskapp/bin/run.js run',
    });
    expect(readFileSync(join(app, 'taskapp.toml'), 'utf8')).toContain('backend = "sqlite"');
    const next = r.stdout
      .split('Next:')[1]!
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect(next).toEqual([
      'cd my-app && npm install',
      'npm test',
      `npx taskapp call add --args '{"x": 1, "y": 2}' && npx taskapp run --once`,
    ]);
  });

  it('refuses to overwrite without --force', async () => {
    const again = await cli(['init', 'my-app', '--backend', 'redis'], { cwd: t.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has .*taskapp\.toml/);
    expect(again.stderr).toContain('pass --force');
    expect(readFileSync(join(app, 'taskapp.toml'), 'utf8')).toContain('backend = "sqlite"');

    const forced = await cli(['init', 'my-app', '--backend', 'postgres', '--force', '--json'], {
      cwd: t.dir,
    });
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).overwritten).toContain('taskapp.toml');
    expect(readFileSync(join(app, 'taskapp.toml'), 'utf8')).toContain('[postgres]');
    const back = await cli(['init', 'my-app', '--force'], {
      cwd: t.dir,
      env: { TASKAPP_INIT_LOCAL: '1' },
    });
    expect(back.code, back.stderr).toBe(0);
  });

  it('--force merges an existing package.json and backs up any other file it replaces', async () => {
    const dir = join(t.dir, 'theirs');
    mkdirSync(dir);
    const theirs = {
      name: 'theirs',
      version: '2.3.4',
      type: 'commonjs',
      scripts: { build: 'tsc', test: 'jest' },
      dependencies: { lodash: '^4.17.0' },
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(theirs));
    writeFileSync(join(dir, 'taskapp.toml'), '# mine\napp_id = "theirs"\n');
    const refused = await cli(['init', '.'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already has .*package\.json/);

    const r = await cli(['init', '.', '--force', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.merged).toEqual(['package.json']);
    expect(res.backups).toEqual({ 'taskapp.toml': 'taskapp.toml.bak' });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'theirs', version: '2.3.4', type: 'commonjs' });
    expect(pkg.scripts).toMatchObject({ build: 'tsc', test: 'jest' });
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.dependencies.lodash).toBe('^4.17.0');
    expect(pkg.dependencies.taskapp).toBeDefined();
    expect(pkg.devDependencies.vitest).toBeDefined();
    expect(pkg.allowScripts['better-sqlite3']).toBe(true);
    expect(readFileSync(join(dir, 'taskapp.toml.bak'), 'utf8')).toBe('# mine\napp_id = "theirs"\n');
    expect(readFileSync(join(dir, 'taskapp.toml'), 'utf8')).toContain('app_id = "theirs"');

    // Plain output says what was merged and where the replaced files went; a second backup never
    // replaces the first.
    writeFileSync(join(dir, 'taskapp.toml'), '# mine again\n');
    const plain = await cli(['init', '.', '--force'], { cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/merged\s+package\.json/);
    expect(plain.stdout).toMatch(/taskapp\.toml \(yours kept as taskapp\.toml\.bak\.1\)/);
    expect(readFileSync(join(dir, 'taskapp.toml.bak'), 'utf8')).toContain('# mine\n');
    expect(readFileSync(join(dir, 'taskapp.toml.bak.1'), 'utf8')).toBe('# mine again\n');
  });

  it("the scaffold's npm test passes and npx taskapp runs its tasks", async () => {
    linkNodeModules(app, ['vitest']);
    const test = await sh('npm', ['test'], { cwd: app });
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/Tests\s+3 passed/);

    const call = await sh('npx', ['--no-install', 'taskapp', 'call', 'fib', '--args', '{"n": 7}'], {
      cwd: app,
    });
    expect(call.code, call.stderr).toBe(0);
    const id = call.stdout.trim();
    const run = await sh('npx', ['--no-install', 'taskapp', 'run', '--once'], { cwd: app });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /app=my-app backend=sqlite runner=thread .* tasks=3 \[add, fib, crawl\]/,
    );
    const status = await sh('npx', ['--no-install', 'taskapp', 'status', id, '--json'], {
      cwd: app,
    });
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'SUCCESS', result: 13 });
  });
});
