/**
 * `taskapp init`: writes a working project from templates/ (config, two tasks, package.json with
 * scripts, a dev-mode vitest test). Never overwrites a file unless asked to.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TaskappError } from '../core/errors.js';

export const INIT_BACKENDS = ['sqlite', 'redis', 'postgres'] as const;
export type InitBackend = (typeof INIT_BACKENDS)[number];

interface ScaffoldOptions {
  dir: string;
  backend: InitBackend;
  force: boolean;
  /** Depend on this checkout (`file:<path>`) instead of the published version (tests, local hacking). */
  local: boolean;
}

export interface ScaffoldResult {
  dir: string;
  appId: string;
  written: string[];
  overwritten: string[];
  next: string[];
}

/** The folder holding taskapp's package.json, from src/ or dist/src/ alike. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (
      existsSync(pj) &&
      (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'taskapp'
    ) {
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) {
      throw new Error('taskapp package root not found above ' + fileURLToPath(import.meta.url));
    }
    dir = up;
  }
}

const BACKEND_SECTIONS: Record<InitBackend, string> = {
  sqlite:
    '[sqlite]\n# Embedded: one file, relative to this file, shared safely by every process on this host.\npath = ".taskapp/taskapp.db"\n',
  redis:
    '[redis]\n# Every runner on every host that shares this Redis shares the work.\nurl = "redis://127.0.0.1:6379"\n',
  postgres:
    '[postgres]\n# Every runner on every host that shares this database shares the work.\nurl = "postgres://postgres@127.0.0.1:5432/postgres"\nschema = "taskapp"\n',
};

/** Template path -> path in the project (npm would turn a published .gitignore into .npmignore). */
const RENAMES: Record<string, string> = { gitignore: '.gitignore' };

function listTemplates(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      out.push(...listTemplates(root, p));
    } else {
      out.push(relative(root, p));
    }
  }
  return out;
}

/** A package name and app id from the folder name: "My App!" -> "my-app". */
function projectName(dir: string): string {
  return (
    basename(resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[-._]+|-+$/g, '') || 'taskapp-project'
  );
}

export function scaffold(opts: ScaffoldOptions): ScaffoldResult {
  if (!(INIT_BACKENDS as readonly string[]).includes(opts.backend)) {
    throw new TaskappError('USAGE', `unknown backend "${opts.backend}" for init`, {
      fix: `use --backend ${INIT_BACKENDS.join('|')}`,
      exitCode: 2,
    });
  }
  const root = packageRoot();
  const templates = join(root, 'templates');
  const dir = resolve(opts.dir);
  const name = projectName(dir);
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    devDependencies?: Record<string, string>;
  };
  const vars: Record<string, string> = {
    app_id: name,
    name,
    backend: opts.backend,
    backend_section: BACKEND_SECTIONS[opts.backend],
    taskapp: opts.local ? `file:${root}` : `^${own.version}`,
    '@types/node': own.devDependencies?.['@types/node'] ?? '^20',
    typescript: own.devDependencies?.typescript ?? '^5',
    vitest: own.devDependencies?.vitest ?? '^4',
  };
  const files = listTemplates(templates).map((t) => ({
    from: join(templates, t),
    to: join(dir, RENAMES[t] ?? t),
  }));
  const existing = files.filter((f) => existsSync(f.to)).map((f) => relative(dir, f.to));
  if (existing.length && !opts.force) {
    throw new TaskappError('INIT_EXISTS', `${dir} already has ${existing.join(', ')}`, {
      fix: 'init into an empty folder, or pass --force to overwrite those files',
      exitCode: 2,
    });
  }
  for (const f of files) {
    mkdirSync(dirname(f.to), { recursive: true });
    const text = readFileSync(f.from, 'utf8').replace(
      /\{\{([@\w/]+)\}\}/g,
      (m, key: string) => vars[key] ?? m,
    );
    writeFileSync(f.to, text);
  }
  const cd = relative(process.cwd(), dir);
  const next = [
    `${cd ? `cd ${quoteArg(cd)} && ` : ''}npm install`,
    'npm test',
    `npx taskapp call add --args '{"x": 1, "y": 2}' && npx taskapp run --once`,
  ];
  return {
    dir,
    appId: name,
    written: files.map((f) => relative(dir, f.to)),
    overwritten: existing,
    next,
  };
}

function quoteArg(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
