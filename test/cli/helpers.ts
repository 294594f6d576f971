/**
 * CLI tests run the real built binary (node bin/run.js) as a subprocess; `ensureBuilt()`
 * (test/helpers/build.ts) makes dist/ fresh first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { ROOT, ensureBuilt } from '../helpers/build.js';
import { taskapp, type App, type InvocationRecord } from '../../src/index.js';

export { ROOT, ensureBuilt };
export const BIN = join(ROOT, 'bin', 'run.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the caller's TASKAPP__* settings, colour off. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('TASKAPP') && k !== 'FORCE_COLOR') {
      env[k] = v;
    }
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export function spawnCli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; input?: string },
): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: cleanEnv(opts.env),
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (opts.input !== undefined) {
    child.stdin!.end(opts.input);
  }
  return child;
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function cli(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<CliResult> {
  return collect(spawnCli(args, opts));
}

/** Runs any command (npm, npx) with the clean env. */
export function sh(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string> },
): Promise<CliResult> {
  return collect(
    spawn(cmd, args, { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

/**
 * node_modules for a project in a temp dir without a registry: taskapp -> this checkout, plus the
 * packages named, linked from this checkout's node_modules, and their bins.
 */
export function linkNodeModules(dir: string, packages: string[] = []): void {
  const nm = join(dir, 'node_modules');
  mkdirSync(join(nm, '.bin'), { recursive: true });
  symlinkSync(ROOT, join(nm, 'taskapp'), 'dir');
  symlinkSync(join(ROOT, 'bin', 'run.js'), join(nm, '.bin', 'taskapp'));
  for (const p of packages) {
    mkdirSync(dirname(join(nm, p)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', p), join(nm, p), 'dir');
  }
  if (packages.includes('vitest')) {
    symlinkSync(join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), join(nm, '.bin', 'vitest'));
  }
}

/** A temp project: package.json (ESM), linked node_modules, and the given files. */
export function project(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const t = tempDir('taskapp-cli-');
  writeFileSync(
    join(t.dir, 'package.json'),
    JSON.stringify({ name: 'cli-test', type: 'module', private: true }),
  );
  linkNodeModules(t.dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(t.dir, name)), { recursive: true });
    writeFileSync(join(t.dir, name), text);
  }
  return t;
}

/** The CLI tests' tasks in TypeScript: for the tests of tsx loading and its error messages. */
export const TASKS_TS = `
import { taskapp } from 'taskapp';
export const app = taskapp({ appId: 'clitest' });
export const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
export const boom = app.task('boom', async ({ why }: { why: string }) => { throw new RangeError(why); });
export const hang = app.task('hang', async (_: Record<string, never>, ctx) =>
  new Promise((resolve) => { const t = setTimeout(resolve, 600_000); ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(null); }); }));
`;

/**
 * The same tasks in JavaScript, which most CLI tests load: a command on a .ts module spends about
 * 0.6 CPU-s registering tsx, and these tests run several hundred commands.
 */
export const TASKS_JS = `
import { taskapp } from 'taskapp';
export const app = taskapp({ appId: 'clitest' });
export const add = app.task('add', async ({ x, y }) => x + y);
export const boom = app.task('boom', async ({ why }) => { throw new RangeError(why); });
export const hang = app.task('hang', async (_, ctx) =>
  new Promise((resolve) => { const t = setTimeout(resolve, 600_000); ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(null); }); }));
`;

/** taskapp.toml on sqlite for a project whose tasks are in `module`. */
export function configToml(module = 'src/tasks.js'): string {
  return `app_id = "clitest"
backend = "sqlite"

[tasks]
modules = ["${module}"]

[sqlite]
path = ".taskapp/test.db"
poll_interval_ms = 10

[runner]
shutdown_grace_seconds = 1
`;
}

export const CONFIG_TOML = configToml();

export async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  what: string,
  tries = 200,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined) {
      return v;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Inside a describe: a temp project (CONFIG_TOML on sqlite plus `files`) made once the CLI is built,
 * removed afterwards, and the built CLI bound to it: `run` gives the result, `json` adds --json and
 * expects exit 0.
 */
export function sqliteProject(files: Record<string, string>) {
  let p: { dir: string; cleanup: () => void } | undefined;
  let reader: App | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    p = project({ 'taskapp.toml': CONFIG_TOML, ...files });
  });
  afterAll(async () => {
    await reader?.close();
    p?.cleanup();
  });
  const dir = () => p!.dir;
  const run = (args: string[], env?: Record<string, string>) => cli(args, { cwd: dir(), env });
  const json = async (args: string[], env?: Record<string, string>) => {
    const r = await run([...args, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  /**
   * Waits until the stored record of `id` passes `done`, reading it in this process: a look
   * through `taskapp status` is a CLI start (a second or more of CPU on a busy machine), and a
   * wait of a few seconds made dozens of them. What a test asserts still goes through the CLI.
   */
  const waitUntil = (id: string, done: (rec: InvocationRecord) => boolean, what: string) =>
    waitFor(async () => {
      reader ??= taskapp({ configFile: join(dir(), 'taskapp.toml') });
      const rec = await reader.getRecord(id).catch(() => undefined);
      return rec && done(rec) ? rec : undefined;
    }, what);
  return { dir, run, json, waitUntil };
}
