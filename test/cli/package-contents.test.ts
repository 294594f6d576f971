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
        'dist/commands/run.js',
        'templates/taskapp.toml',
      ]),
    );
    expect(files.filter((f) => /^dist\/(test|bench)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });
});
