// Copies the non-TypeScript files the backends load at run time (SQL migrations, Lua scripts)
// from src/ into dist/src/, keeping their folders, and removes copies whose source is gone (a
// renamed migration left behind would run twice).
import { cpSync, existsSync, readdirSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
const root = new URL('..', import.meta.url).pathname;
const exts = ['.sql', '.lua'];
const isAsset = (name) => exts.some((e) => name.endsWith(e));
function walk(dir, visit) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      walk(p, visit);
    } else if (isAsset(name)) {
      visit(p);
    }
  }
}
const dist = join(root, 'dist', 'src');
if (existsSync(dist)) {
  walk(dist, (p) => {
    if (!existsSync(join(root, relative(join(root, 'dist'), p)))) {
      rmSync(p);
    }
  });
}
walk(join(root, 'src'), (p) => {
  const out = join(root, 'dist', relative(root, p));
  mkdirSync(dirname(out), { recursive: true });
  cpSync(p, out);
});
