/**
 * core/tsx.ts in a plain Node process (vitest's own loader would stand in the way): tsx registers
 * once, after what the caller loads first, and a warm-up that fails, even by throwing at once (an
 * import.meta.resolve of a name that does not resolve), still leaves TypeScript importable.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, ensureBuilt } from '../../helpers/build.js';
import { tempDir } from '../../helpers/tmp.js';

const tmp = tempDir('taskapp-tsx-');
beforeAll(ensureBuilt, 600_000);
afterAll(() => tmp.cleanup());

it('registers once, after a warm-up that throws at once, and TypeScript then imports', () => {
  const mod = join(tmp.dir, 'typed.ts');
  // Task modules are ES modules: a .ts file elsewhere would load as CommonJS, past tsx's ESM hooks.
  writeFileSync(join(tmp.dir, 'package.json'), '{"type": "module"}\n');
  writeFileSync(mod, 'const n: number = 41;\nexport const answer = n + 1;\n');
  const tsx = pathToFileURL(join(ROOT, 'dist/src/core/tsx.js')).href;
  const script = `
    const { registerTsx } = await import(${JSON.stringify(tsx)});
    let second = false;
    await registerTsx(() => { throw new Error('no such package'); });
    await registerTsx(async () => { second = true; });
    const { answer } = await import(${JSON.stringify(pathToFileURL(mod).href)});
    console.log(JSON.stringify({ answer, second }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toEqual({ answer: 42, second: false });
});
