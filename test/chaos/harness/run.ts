/**
 * The chaos harness: several runner processes on one backend, a steady workload of mixed tasks,
 * faults injected at seeded random times, then a drain and a count of what was lost or run twice
 * without a trace. `npm run chaos -- --help` (main.ts) is the command; tests call runChaos().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEntry, InvocationRecord, Status } from '../../../src/index.js';
import { FINAL_STATUSES } from '../../../src/index.js';
import { taskapp } from '../../../src/index.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';
import { startPrivateServer, type PrivateServer } from './servers.js';
import { APP_ID, defineWorkload } from './workload.js';
import { nodeEntry } from '../../helpers/build.js';

/** The TASKAPP__* storage variables given to runners, as taskapp() options for the producer. */
function storageOptions(env: Record<string, string>): Record<string, unknown> {
  const backend = env.TASKAPP__BACKEND;
  if (backend === 'sqlite') {
    return { backend, sqlite: { path: env.TASKAPP__SQLITE__PATH } };
  }
  if (backend === 'redis') {
    return { backend, redis: { url: env.TASKAPP__REDIS__URL } };
  }
  return { backend, postgres: { url: env.TASKAPP__POSTGRES__URL } };
}

export const FAULTS = [
  'kill-runner',
  'kill-child',
  'restart-server',
  'drop-connections',
  'block-loop',
] as const;
export type Fault = (typeof FAULTS)[number];
export const RUNNER_KINDS = ['thread', 'multi-thread', 'process', 'persistent-process'] as const;
export type RunnerKind = (typeof RUNNER_KINDS)[number];
export type ChaosBackend = 'sqlite' | 'redis' | 'postgres';

export interface ChaosOptions {
  backend: ChaosBackend;
  runner: RunnerKind;
  /** How long work is called and faults injected; the drain comes after. */
  seconds: number;
  seed: number;
  faults: Fault[];
  /** Runner processes at once (a killed one is replaced). */
  runners: number;
  /** Calls per second from the producer (a fan-out call adds its children). */
  rate: number;
  /** Once faults stop, the drain ends when no invocation has become final for this long. */
  drainSeconds: number;
  log: (line: string) => void;
}

export interface InvocationDetail {
  id: string;
  taskId: string;
  pids: string[];
  history: string[];
}

export interface ChaosReport {
  backend: ChaosBackend;
  runner: RunnerKind;
  seed: number;
  seconds: number;
  faults: Record<string, number>;
  /** Calls the producer made that returned an id (children of fan-outs not included). */
  called: number;
  /** call() attempts that failed (server down): the harness calls again. */
  callErrors: number;
  /** Every invocation stored, children included. */
  invocations: number;
  final: number;
  /** Seconds from the end of faults until everything was final (or the drain stalled). */
  drainedSeconds: number;
  lost: number;
  lostIds: string[];
  statuses: Record<string, number>;
  /** Executions beyond the first, by what explains them in the invocation's history. */
  extraExecutions: { afterRecovery: number; retries: number; silent: number };
  silentIds: string[];
  /** Task, executions (by pid) and history of the first silent duplicates, to find the cause. */
  silentDetails: InvocationDetail[];
  /** The same for the first lost invocations. */
  lostDetails: InvocationDetail[];
  /** From a fault to the RUNNING_RECOVERY entries after it. */
  faultToRecoveryMs: { n: number; p50: number | null; max: number | null };
  ok: boolean;
}

/** mulberry32: a small seeded generator, so a seed replays the same calls and fault times. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STARTER = nodeEntry(new URL('./start-runner.ts', import.meta.url));
const RECOVERY: ReadonlySet<Status> = new Set(['RUNNING_RECOVERY', 'PENDING_RECOVERY']);

interface RunnerProcess {
  proc: ChildProcess;
  exited: Promise<void>;
}

/** Child pids of a process, from /proc (any runner kind with children). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      out.push(...text.split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    // the process is gone
  }
  return out;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  // The calls and the faults draw from separate generators, so a seed replays the same fault
  // sequence whatever the timing of the calls.
  const rand = seeded(opts.seed);
  const faultRand = seeded(opts.seed ^ 0x9e3779b9);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(faultRand() * xs.length)]!;
  const between = (lo: number, hi: number, r = rand) => Math.round(lo + r() * (hi - lo));
  const faultBetween = (lo: number, hi: number) => between(lo, hi, faultRand);
  const dir = mkdtempSync(join(tmpdir(), 'taskapp-chaos-'));
  const out = join(dir, 'executions.txt');
  const runnerLog = createWriteStream(join(dir, 'runners.log'));
  const serverBacked = opts.backend !== 'sqlite';
  const faults = opts.faults.filter(
    (f) => serverBacked || (f !== 'restart-server' && f !== 'drop-connections'),
  );
  let server: PrivateServer | undefined;
  const env: Record<string, string> = {};
  if (opts.backend === 'sqlite') {
    env.TASKAPP__BACKEND = 'sqlite';
    env.TASKAPP__SQLITE__PATH = join(dir, 'chaos.sqlite');
  } else {
    server = await startPrivateServer(opts.backend, dir);
    Object.assign(env, server.env);
  }
  env.CHAOS_OUT = out;
  env.TASKAPP__LOGGING_LEVEL = 'error';
  // The producer: the same app id and tasks as the runners, on the same storage.
  const app = taskapp({
    appId: APP_ID,
    configFile: false,
    loggingLevel: 'error',
    ...storageOptions(env),
  });
  const { plain, flaky, slow, fan, cpu, block } = defineWorkload(app);

  const processes = opts.runner === 'thread' ? undefined : 2;
  const running: RunnerProcess[] = [];
  const startRunner = (): RunnerProcess => {
    const args = [...STARTER, opts.runner, ...(processes ? [String(processes)] : [])];
    const proc = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr!.pipe(runnerLog, { end: false });
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const entry = { proc, exited };
    void exited.then(() => {
      const i = running.indexOf(entry);
      if (i >= 0) {
        running.splice(i, 1);
      }
    });
    running.push(entry);
    return entry;
  };
  for (let i = 0; i < opts.runners; i++) {
    startRunner();
  }

  const faultCounts: Record<string, number> = {};
  const faultTimes: number[] = [];
  const ids: string[] = [];
  let callErrors = 0;
  const end = Date.now() + opts.seconds * 1000;

  const produce = async () => {
    const pause = 1000 / opts.rate;
    while (Date.now() < end) {
      const r = rand();
      try {
        const inv =
          r < 0.35
            ? await plain.call({ ms: between(5, 50) })
            : r < 0.6
              ? await flaky.call({ failures: between(0, 2) })
              : r < 0.72
                ? await slow.call({ ms: rand() < 0.5 ? 100 : 1500 })
                : r < 0.84
                  ? await fan.call({ n: between(3, 6) })
                  : await cpu.call({ ms: between(50, 200) });
        ids.push(inv.id);
      } catch {
        callErrors++;
        await sleep(200);
      }
      await sleep(pause);
    }
  };

  const inject = async (fault: Fault) => {
    switch (fault) {
      case 'kill-runner': {
        const victim = running.length ? pick(running) : undefined;
        victim?.proc.kill('SIGKILL');
        await victim?.exited;
        await sleep(faultBetween(0, 1000));
        startRunner();
        break;
      }
      case 'kill-child': {
        const withChildren = running.flatMap((r) => (r.proc.pid ? childPids(r.proc.pid) : []));
        if (withChildren.length) {
          process.kill(pick(withChildren), 'SIGKILL');
        }
        break;
      }
      case 'restart-server':
        await server!.restart(faultBetween(500, 3000));
        break;
      case 'drop-connections':
        await server!.dropConnections(faultBetween(200, 2000));
        break;
      case 'block-loop':
        try {
          ids.push((await block.call({ ms: faultBetween(4000, 6000) })).id);
        } catch {
          callErrors++;
        }
        break;
    }
  };

  const injectFaults = async () => {
    if (!faults.length) {
      return;
    }
    while (Date.now() < end) {
      await sleep(faultBetween(1000, 4000));
      if (Date.now() >= end) {
        break;
      }
      const fault = pick(faults);
      faultCounts[fault] = (faultCounts[fault] ?? 0) + 1;
      faultTimes.push(Date.now());
      opts.log(`fault ${fault}`);
      await inject(fault);
    }
  };

  let drainedSeconds = 0;
  try {
    await Promise.all([produce(), injectFaults()]);
    while (running.length < opts.runners) {
      startRunner();
    }
    // Drain until everything is final. A loaded machine leaves a backlog that is still moving, so
    // only a stall (no invocation reaching a final status for drainSeconds) ends the drain early;
    // whatever is open then is reported as lost. Ten stalls' worth is the absolute bound.
    opts.log(
      `called ${ids.length}; draining (stops after ${opts.drainSeconds} s without progress)`,
    );
    const { state } = await runtimeOf(app).backends();
    const drainStart = Date.now();
    const drainCap = drainStart + opts.drainSeconds * 10_000;
    let finalSeen = -1;
    let progressAt = Date.now();
    for (;;) {
      const counts = await state.countByStatus().catch(() => null);
      const open = counts
        ? Object.entries(counts).filter(([s, n]) => n > 0 && !FINAL_STATUSES.has(s as Status))
        : [['unknown', 1]];
      const final = counts
        ? Object.entries(counts)
            .filter(([s]) => FINAL_STATUSES.has(s as Status))
            .reduce((sum, [, n]) => sum + n, 0)
        : finalSeen;
      if (final > finalSeen) {
        finalSeen = final;
        progressAt = Date.now();
      }
      const stalled = Date.now() - progressAt > opts.drainSeconds * 1000;
      if (!open.length || stalled || Date.now() > drainCap) {
        break;
      }
      await sleep(500);
    }
    drainedSeconds = Math.round((Date.now() - drainStart) / 1000);
    return await analyse();
  } finally {
    for (const r of [...running]) {
      r.proc.kill('SIGTERM');
    }
    await Promise.race([Promise.all(running.map((r) => r.exited)), sleep(10_000)]);
    for (const r of [...running]) {
      r.proc.kill('SIGKILL');
    }
    await app.close().catch(() => {});
    await server?.stop();
    runnerLog.end();
    if (!process.env.TASKAPP_CHAOS_KEEP) {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async function analyse(): Promise<ChaosReport> {
    const { state } = await runtimeOf(app).backends();
    const all: InvocationRecord[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await state.list({ limit: 1000, offset });
      all.push(...page);
      if (page.length < 1000) {
        break;
      }
    }
    const executions = new Map<string, string[]>();
    if (existsSync(out)) {
      for (const line of readFileSync(out, 'utf8').split('\n')) {
        const [, id, pid] = line.split(' ');
        if (id) {
          executions.set(id, [...(executions.get(id) ?? []), pid ?? '?']);
        }
      }
    }
    const histories: Record<string, HistoryEntry[]> = {};
    for (let i = 0; i < all.length; i += 500) {
      Object.assign(histories, await state.historyMany(all.slice(i, i + 500).map((r) => r.id)));
    }
    const statuses: Record<string, number> = {};
    const lostIds: string[] = [];
    const silentIds: string[] = [];
    const extra = { afterRecovery: 0, retries: 0, silent: 0 };
    const delays: number[] = [];
    for (const rec of all) {
      statuses[rec.status] = (statuses[rec.status] ?? 0) + 1;
      if (!FINAL_STATUSES.has(rec.status)) {
        lostIds.push(rec.id);
      }
      const history = histories[rec.id] ?? [];
      const ran = executions.get(rec.id)?.length ?? 0;
      const starts = history.filter((h) => h.status === 'RUNNING').length;
      const recovered = history.some((h) => RECOVERY.has(h.status));
      if (ran > starts) {
        extra.silent += ran - starts;
        silentIds.push(rec.id);
      } else if (ran > 1) {
        if (recovered) {
          extra.afterRecovery += ran - 1;
        } else {
          extra.retries += ran - 1;
        }
      }
      // A recovery counts toward fault-to-rerun only when the invocation was already running at
      // the fault; later ones (a timeout killing a child's neighbours, say) have other causes.
      let runningSince: number | undefined;
      for (const h of history) {
        if (h.status === 'RUNNING') {
          runningSince = h.at;
        }
        if (h.status === 'RUNNING_RECOVERY') {
          const fault = faultTimes.filter((t) => t <= h.at).pop();
          if (fault !== undefined && runningSince !== undefined && runningSince <= fault) {
            delays.push(h.at - fault);
          }
        }
      }
    }
    delays.sort((a, b) => a - b);
    const detail = (id: string): InvocationDetail => {
      const t0 = histories[id]?.[0]?.at ?? 0;
      return {
        id,
        taskId: all.find((r) => r.id === id)?.taskId ?? '?',
        pids: executions.get(id) ?? [],
        history: (histories[id] ?? []).map(
          (h) => `${h.status}@${h.runnerId?.slice(-8) ?? '-'}+${h.at - t0}ms`,
        ),
      };
    };
    return {
      backend: opts.backend,
      runner: opts.runner,
      seed: opts.seed,
      seconds: opts.seconds,
      faults: faultCounts,
      called: ids.length,
      callErrors,
      invocations: all.length,
      final: all.length - lostIds.length,
      drainedSeconds,
      lost: lostIds.length,
      lostIds: lostIds.slice(0, 20),
      statuses,
      extraExecutions: extra,
      silentIds: silentIds.slice(0, 20),
      silentDetails: silentIds.slice(0, 5).map(detail),
      lostDetails: lostIds.slice(0, 5).map(detail),
      faultToRecoveryMs: {
        n: delays.length,
        p50: delays.length ? delays[Math.floor(delays.length / 2)]! : null,
        max: delays.length ? delays[delays.length - 1]! : null,
      },
      ok: lostIds.length === 0 && silentIds.length === 0 && ids.length > 0,
    };
  }
}
