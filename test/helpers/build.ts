/**
 * The compiled build (dist/) that CLI tests run and that test processes start from. `ensureBuilt()`
 * rebuilds it when a source is newer (one build at a time across test files, by a lock folder);
 * vitest's global setup calls it before any test file runs.
 *
 * Test fixtures that run in their own processes (runner starters, task apps) are compiled too
 * (tsconfig.build.json), so a spawned process or thread loads plain JavaScript: through tsx each
 * one costs about half a second more of CPU, and a test run starts several hundred of them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Source folders whose compiled output test processes run. */
const SOURCES = [
  'src',
  'commands',
  'packages',
  'test/chaos/fixtures',
  'test/chaos/harness',
  'test/unit/runners/fixtures',
];

/**
 * Set (to 1) by vitest.config.ts: spawned test processes start from the compiled fixtures, and the
 * engine (src/runners/remote/worker-source.ts) starts its guests and heartbeat threads from dist.
 */
export const COMPILED_ENV = 'TASKAPP_TEST_COMPILED';

function newestMtime(dir: string): number {
  let max = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') {
      continue;
    }
    const p = join(dir, name);
    const st = statSync(p);
    max = Math.max(max, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return max;
}

function isFresh(): boolean {
  const outs = [
    'dist/commands/run.js',
    'dist/src/index.js',
    'dist/src/cli/base-command.js',
    'dist/test/chaos/fixtures/app.js',
    'oclif.manifest.json',
  ].map((p) => join(ROOT, p));
  if (!outs.every(existsSync)) {
    return false;
  }
  const built = Math.min(...outs.map((p) => statSync(p).mtimeMs));
  return built >= Math.max(...SOURCES.map((s) => newestMtime(join(ROOT, s))));
}

export async function ensureBuilt(): Promise<void> {
  if (isFresh()) {
    return;
  }
  const lock = join(ROOT, 'node_modules', '.taskapp-build-lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a build that died; gone meanwhile: try again at once.
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      if (Date.now() - since > 120_000) {
        rmSync(lock, { recursive: true, force: true });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!isFresh()) {
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A fixture module for a runner's appModule: compiled when the test run asked for it. */
export function fixtureModule(source: URL): string {
  const path = fileURLToPath(source);
  return process.env[COMPILED_ENV] === '1'
    ? join(ROOT, 'dist', relative(ROOT, path)).replace(/\.ts$/, '.js')
    : path;
}

/**
 * Node's arguments to start an entry of this repository in a new process: its compiled file when the
 * test run asked for them (COMPILED_ENV), else the source through tsx (`npm run chaos`).
 */
export function nodeEntry(source: URL): string[] {
  const file = fixtureModule(source);
  return file.endsWith('.ts') ? ['--import', 'tsx', file] : [file];
}
