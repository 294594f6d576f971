/**
 * The build copies migrations and Lua scripts into dist/ and removes copies whose source is gone:
 * a renamed migration left behind in dist/ ran twice ("relation already exists" on a new schema).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.js';

const script = fileURLToPath(new URL('../../../scripts/copy-assets.mjs', import.meta.url));

it('copies the SQL and Lua under src/ into dist/src/ and removes copies whose source is gone', () => {
  const { dir, cleanup } = tempDir();
  try {
    const put = (path: string, text: string) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(script, join(dir, 'scripts', 'copy-assets.mjs'));
    put('src/backends/pg/migrations/002_renamed.sql', 'SELECT 2;');
    put('src/backends/redis/lua/claim.lua', 'return 1');
    put('dist/src/backends/pg/migrations/009_old_name.sql', 'SELECT 2;');
    put('dist/src/backends/pg/index.js', 'export {};');
    execFileSync(process.execPath, [join(dir, 'scripts', 'copy-assets.mjs')]);
    const inDist = (path: string) => join(dir, 'dist', path);
    expect(readFileSync(inDist('src/backends/pg/migrations/002_renamed.sql'), 'utf8')).toBe(
      'SELECT 2;',
    );
    expect(existsSync(inDist('src/backends/redis/lua/claim.lua'))).toBe(true);
    expect(existsSync(inDist('src/backends/pg/migrations/009_old_name.sql'))).toBe(false);
    expect(existsSync(inDist('src/backends/pg/index.js'))).toBe(true);
  } finally {
    cleanup();
  }
});
