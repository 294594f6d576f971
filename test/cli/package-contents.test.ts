/**
 * Issue 16 (polish): what `npm pack` ships. No compiled tests or benchmarks, no source maps (they
 * point at src/*.ts, which is not shipped), and a LICENSE.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, sh } from './helpers.js';

/** Command ids of the compiled commands: dist/commands/trigger/list.js -> trigger:list. */
function commandIds(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? commandIds(join(dir, e.name))
      : e.name.endsWith('.js')
        ? [
            relative(join(ROOT, 'dist', 'commands'), join(dir, e.name))
              .slice(0, -3)
              .split('/')
              .join(':'),
          ]
        : [],
  );
}

describe('the published package', () => {
  it('ships the CLI, the engine, the templates and a LICENSE; no tests, benchmarks or source maps', async () => {
    await ensureBuilt();
    const r = await sh('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
    expect(r.code, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map(
      (f) => f.path,
    );
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'bin/run.js',
        'dist/src/index.js',
        // The subpath exports (issue 21) and the RabbitMQ broker's package, built into dist.
        'dist/src/backend-api.js',
        'dist/src/backend-api.d.ts',
        'dist/src/testing/index.js',
        'dist/src/testing/index.d.ts',
        'dist/packages/taskapp-backend-rabbitmq/src/index.js',
        'dist/commands/run.js',
        'oclif.manifest.json',
        'templates/taskapp.toml',
      ]),
    );
    expect(files.filter((f) => /^dist\/(test|bench|examples)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  // Without the manifest oclif imports every command (and ink, React, hono, pg, ...) at each start.
  it('ships an oclif manifest of this version listing every command, so a start loads only the command it runs', async () => {
    await ensureBuilt();
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
      version: string;
      commands: Record<string, unknown>;
    };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(manifest.version).toBe(pkg.version);
    expect(Object.keys(manifest.commands).sort()).toEqual(
      commandIds(join(ROOT, 'dist', 'commands')).sort(),
    );
    // `taskapp --version` reads the manifest and imports no command.
    const r = await sh('node', ['bin/run.js', '--version'], {
      cwd: ROOT,
      env: { ...process.env, DEBUG: 'oclif:config:*' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('using manifest from');
  });

  // vitest and fast-check are optional peers, for taskapp/testing only (issue 21).
  it('the main entry and taskapp/backend load without vitest or fast-check', async () => {
    await ensureBuilt();
    const refuse = `export async function resolve(spec, ctx, next) {
      if (/^(vitest|fast-check|@vitest)(\\/|$)/.test(spec)) throw new Error('imported ' + spec);
      return next(spec, ctx);
    }`;
    const script = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(refuse)}));
const main = await import('taskapp');
const api = await import('taskapp/backend');
const app = main.taskapp({ backend: 'memory', configFile: false });
await app.close();
let testing = 'loaded';
try { await import('taskapp/testing'); } catch (e) { testing = e.message; }
console.log(JSON.stringify({ version: api.BACKEND_API_VERSION, testing }));`;
    const r = await sh('node', ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(r.code, r.stderr).toBe(0);
    // The hook works: taskapp/testing, which needs vitest, is refused.
    expect(JSON.parse(r.stdout)).toEqual({ version: 1, testing: 'imported vitest' });
  });
});
