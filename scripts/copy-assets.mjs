// Copies the non-TypeScript files the backends load at run time (SQL migrations, Lua scripts)
// from src/ into dist/src/, keeping their folders.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
const root = new URL('..', import.meta.url).pathname;
const exts = ['.sql', '.lua'];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      walk(p);
    } else if (exts.some((e) => name.endsWith(e))) {
      const out = join(root, 'dist', relative(root, p));
      mkdirSync(dirname(out), { recursive: true });
      cpSync(p, out);
    }
  }
}
walk(join(root, 'src'));
