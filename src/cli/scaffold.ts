/**
 * `taskapp init`: writes a working project from templates/ (config, two tasks, package.json with
 * scripts, a dev-mode vitest test). Never overwrites a file unless asked to, and even then loses
 * nothing: an existing package.json is merged (the user's fields win), other files are backed up.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TaskappError } from '../core/errors.js';
import { installSpec, ownScriptsEntry } from './install-source.js';

export const INIT_BACKENDS = ['sqlite', 'redis', 'postgres'] as const;
export type InitBackend = (typeof INIT_BACKENDS)[number];

interface ScaffoldOptions {
  dir: string;
  backend: InitBackend;
  force: boolean;
  /** Depend on this copy's folder (`file:<path>`) whatever it was installed from (tests, local hacking). */
  local: boolean;
}

export interface ScaffoldResult {
  dir: string;
  appId: string;
  written: string[];
  /** Existing files replaced (each backed up first, see `backups`). */
  overwritten: string[];
  /** Existing file -> the copy of it kept before it was replaced. */
  backups: Record<string, string>;
  /** An existing package.json this init merged into (the user's fields kept, ours added). */
  merged: string[];
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
    name: string;
    version: string;
    devDependencies?: Record<string, string>;
  };
  const vars: Record<string, string> = {
    app_id: name,
    name,
    backend: opts.backend,
    backend_section: BACKEND_SECTIONS[opts.backend],
    taskapp: opts.local ? `file:${root}` : installSpec(root, own.name, own.version),
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
      fix: 'init into an empty folder, or pass --force (package.json is merged, other files are backed up to <file>.bak first)',
      exitCode: 2,
    });
  }
  const backups: Record<string, string> = {};
  const merged: string[] = [];
  const overwritten: string[] = [];
  for (const f of files) {
    mkdirSync(dirname(f.to), { recursive: true });
    let text = readFileSync(f.from, 'utf8').replace(
      /\{\{([@\w/]+)\}\}/g,
      (m, key: string) => vars[key] ?? m,
    );
    const rel = relative(dir, f.to);
    if (rel === 'package.json') {
      text = withOwnScripts(text, own.name, vars.taskapp!);
    }
    if (existsSync(f.to)) {
      const old = readFileSync(f.to, 'utf8');
      if (rel === 'package.json') {
        text = `${JSON.stringify(mergePackageJson(parsePackageJson(old, f.to), JSON.parse(text) as Json), null, 2)}\n`;
        merged.push(rel);
      } else if (old !== text) {
        const backup = backupName(f.to);
        copyFileSync(f.to, backup);
        backups[rel] = relative(dir, backup);
        overwritten.push(rel);
      }
    }
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
    overwritten,
    backups,
    merged,
    next,
  };
}

function quoteArg(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

type Json = Record<string, unknown>;

function parsePackageJson(text: string, path: string): Json {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return v as Json;
    }
  } catch {
    /* reported below */
  }
  throw new TaskappError('INIT_EXISTS', `${path} is not a JSON object: init cannot merge into it`, {
    fix: 'fix or move that package.json, then run init again',
    exitCode: 2,
  });
}

/**
 * Fields whose entries are merged one by one; every other field the user has is kept as is.
 * allowScripts: npm 11 warns at each install about install scripts it does not cover; a taskapp
 * project needs two, better-sqlite3's (downloads or builds its binary) and esbuild's (tsx and vitest:
 * checks its binary).
 */
const MERGED_FIELDS = ['scripts', 'dependencies', 'devDependencies', 'allowScripts'];

/** The user's package.json with what ours adds: the user's fields and entries win, in their order. */
export function mergePackageJson(user: Json, ours: Json): Json {
  const out: Json = { ...user };
  for (const [k, v] of Object.entries(ours)) {
    if (!(k in out)) {
      out[k] = v;
    } else if (MERGED_FIELDS.includes(k) && out[k] && typeof out[k] === 'object') {
      // The user's entries first, in their order; ours after.
      out[k] = Object.fromEntries([
        ...Object.entries(user[k] as Json),
        ...Object.entries(v as Json).filter(([name]) => !(name in (user[k] as Json))),
      ]);
    }
  }
  return out;
}

/** The package.json template's text with taskapp's own allowScripts entry, when it has one. */
function withOwnScripts(text: string, name: string, spec: string): string {
  const entry = ownScriptsEntry(name, spec);
  if (!entry) {
    return text;
  }
  const pkg = JSON.parse(text) as { allowScripts: Record<string, boolean> };
  pkg.allowScripts[entry[0]] = entry[1];
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** `<file>.bak`, or `.bak.1`, `.bak.2`, ... when that is taken: a backup never replaces another. */
function backupName(file: string): string {
  let name = `${file}.bak`;
  for (let i = 1; existsSync(name); i++) {
    name = `${file}.bak.${i}`;
  }
  return name;
}
