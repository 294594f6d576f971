/** Real runner processes for the chaos tests: spawn, wait until ready, kill, count side effects. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { App } from '../../src/index.js';
import { runtimeOf } from '../../src/runtime/runtime.js';
import { tempDir } from '../helpers/tmp.js';
import type { ChaosBackend } from './backends.js';
import { app } from './fixtures/app.js';
import { fixtureModule, nodeEntry } from '../helpers/build.js';

export const FIXTURE_APP = fixtureModule(new URL('./fixtures/app.ts', import.meta.url));
const STARTER = nodeEntry(new URL('./fixtures/start-runner.ts', import.meta.url));

export interface RunnerProc {
  proc: ChildProcess;
  runnerId: string;
  /** Child pids as last reported by the runner process. */
  children: () => number[];
  exited: Promise<{ code: number | null; signal: string | null }>;
}

/** Env for the fixture app: the backend's storage (ChaosStorage.env), the side-effect file, quiet logs. */
export function chaosEnv(
  storage: Record<string, string>,
  out: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...storage, CHAOS_OUT: out, TASKAPP__LOGGING_LEVEL: 'error', ...extra };
}

export async function startRunnerProcess(
  kind: string,
  processes: number,
  env: Record<string, string>,
  concurrency = processes,
): Promise<RunnerProc> {
  const args = [...STARTER, kind, String(processes), String(concurrency)];
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );
  let children: number[] = [];
  let buf = '';
  const runnerId = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [word, ...rest] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (word === 'ready') {
          children = rest.slice(1).map(Number);
          resolve(rest[0]!);
        }
        if (word === 'children') {
          children = rest.map(Number);
        }
      }
    });
    void exited.then((e) =>
      reject(new Error(`runner process exited before ready: ${JSON.stringify(e)}`)),
    );
  });
  return { proc, runnerId, children: () => children, exited };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Lines per task index in the side-effect file. */
export function linesPerTask(out: string): Map<number, number> {
  const m = new Map<number, number>();
  if (!existsSync(out)) {
    return m;
  }
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const [, i] = line.split(' ');
    if (line) {
      m.set(Number(i), (m.get(Number(i)) ?? 0) + 1);
    }
  }
  return m;
}

export { until } from '../helpers/until.js';

/** Counts of RUNNING_RECOVERY and KILLED entries across the histories of `ids`. */
export async function recoveryCounts(
  app: App,
  ids: string[],
): Promise<{ recovered: number; killed: number; running: number }> {
  const { state } = await runtimeOf(app).backends();
  let recovered = 0;
  let killed = 0;
  let running = 0;
  for (const id of ids) {
    for (const h of await state.history(id)) {
      if (h.status === 'RUNNING_RECOVERY') {
        recovered++;
      }
      if (h.status === 'KILLED') {
        killed++;
      }
      if (h.status === 'RUNNING') {
        running++;
      }
    }
  }
  return { recovered, killed, running };
}

/** One chaos test's place: its temp folder, the side-effect file and the env of its runner processes. */
export interface ChaosSetup {
  dir: string;
  out: string;
  env: Record<string, string>;
}

/**
 * Runner processes for the tests of one describe block on `backend`: `setUp` makes fresh storage in
 * a temp folder and configures the fixture app on it, `start` spawns a runner process; after each
 * test every process is killed and waited for, the app closed and the storage removed.
 */
export function chaosRunners(backend: ChaosBackend, tmpPrefix: string) {
  const procs: RunnerProc[] = [];
  let cleanup = async () => {};
  afterEach(async () => {
    const all = procs.splice(0);
    for (const p of all) {
      if (p.proc.exitCode === null) {
        p.proc.kill('SIGKILL');
      }
    }
    await Promise.all(all.map((p) => p.exited));
    await app.close();
    await cleanup();
    cleanup = async () => {};
  });
  return {
    procs,
    setUp(extra: Record<string, string> = {}): ChaosSetup {
      const t = tempDir(tmpPrefix);
      const storage = backend.fresh(t.dir);
      cleanup = async () => {
        await storage.cleanup();
        t.cleanup();
      };
      const out = join(t.dir, 'out.txt');
      const env = chaosEnv(storage.env, out, extra);
      app.configure({ env: { ...process.env, ...env } });
      return { dir: t.dir, out, env };
    },
    async start(kind: string, processes: number, env: Record<string, string>): Promise<RunnerProc> {
      const r = await startRunnerProcess(kind, processes, env);
      procs.push(r);
      return r;
    },
  };
}
