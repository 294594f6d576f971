/**
 * Issue 16 (polish): what `npm pack` ships. No compiled tests or benchmarks, no source maps (they
 * point at src/*.ts, which is not shipped), and a LICENSE.
 */
import { describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, sh } from './helpers.js';

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
        'templates/taskapp.toml',
      ]),
    );
    expect(files.filter((f) => /^dist\/(test|bench|examples)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
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
