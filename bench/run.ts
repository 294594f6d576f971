/**
 * The benchmark (docs/architecture.md, "Benchmarks"), the same workload as bench/peers/*.mjs:
 * N no-op add({x, y}) tasks enqueued in bulk (parallelize), then processed with concurrency C until
 * all are SUCCESS; then L sequential single-task round trips (call, then result()).
 * server_cpu_us_per_inv: the Redis / PostgreSQL server's CPU over both phases / (N + L) (bench/server-cpu.ts).
 * --preload P: P finished invocations with history stored before the run (bench/preload.ts).
 * --runners K: the tasks run in K runner processes (bench/runner-child.ts), each with concurrency C,
 *   instead of in this process; rss_mb is then the largest runner's.
 *   npm run bench -- --backend sqlite --tasks 20000 --concurrency 50 --latency-samples 200 [--json]
 * Flags, their defaults and bounds: bench/args.ts (npm run bench -- --help).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runner, TaskappOptions } from '../src/index.js';
import { runtimeOf } from '../src/runtime/runtime.js';
import { benchArgsOrExit } from './args.js';
import { startClusterCpu, startServerCpu } from './server-cpu.js';
import { settle } from './settle.js';
import { keptHeapMb } from './full-gc.js';
import { openStatements, StatementsUnavailable } from './pg-statements.js';

const a = benchArgsOrExit(process.argv.slice(2));
const N = a.tasks,
  C = a.concurrency,
  L = a.latencySamples,
  P = a.preload,
  K = a.runners;
const runId = `bench${process.pid}${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'taskapp-bench-'));

const pgUrl = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const clusterUrls = a.redisCluster;
const backendOptions: Record<string, TaskappOptions> = {
  memory: {},
  sqlite: { sqlite: { path: join(dir, 'bench.db') } },
  redis: { redis: { url: redisUrl, prefix: `taskapp-bench:{${runId}}:` } },
  'redis-cluster': {
    redis: {
      cluster: clusterUrls,
      prefix: `taskapp-bench:${runId}:`,
      ...(a.shards ? { shards: a.shards } : {}),
    },
  },
  postgres: { postgres: { schema: runId, url: pgUrl } },
};
const serverUrl: Record<string, string> = { redis: redisUrl, postgres: pgUrl };
process.env.TASKAPP_BENCH_CONFIG = JSON.stringify({
  appId: runId,
  backend: a.backend,
  ...(a.broker ? { broker: a.broker } : {}),
  loggingLevel: 'warn',
  runner: { prefetch: a.prefetch },
  taskDefaults: { parallelBatchSize: a.batch },
  ...backendOptions[clusterUrls ? 'redis-cluster' : a.backend],
});
const appModule = fileURLToPath(
  new URL(`./bench-app${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);
const { app, add } = await import(appModule);
// Checked before anything is opened: without pg_stat_statements the run ends here, with nothing to undo.
const statements = a.statements ? await statementsOrExit() : null;

try {
  await runtimeOf(app).backends();
  const tPre = performance.now();
  await preload(P);
  const preloadS = +((performance.now() - tPre) / 1000).toFixed(1);
  // Like the peers (a BullMQ Worker made with autorun: false before the clock starts): the runner
  // gets ready first (children spawned and loaded) and claims only once the tasks are enqueued.
  const runnerOptions = {
    runner: a.runner,
    concurrency: C,
    appModule,
    autorun: false,
    ...(a.processes ? { processes: a.processes } : {}),
  };
  const children = K > 0 ? await forkRunners(K) : [];
  const runner = K > 0 ? null : await app.startRunner(runnerOptions);
  if (runner) {
    await settle();
  }
  const serverCpu = clusterUrls
    ? startClusterCpu(clusterUrls)
    : startServerCpu(serverUrl[a.backend] ?? null);
  await statements?.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { tEnq, tEnd } = await produceAndProcess();
  const lat: number[] = [];
  for (let i = 0; i < L; i++) {
    const s = performance.now();
    await add.run({ x: i, y: 1 });
    lat.push(performance.now() - s);
  }
  const serverCpuUs = serverCpu.perInvocationUs(N + L);
  const cpu = process.cpuUsage(cpu0);
  const statementCosts = await statements?.report(N + L);
  // This process's CPU (producer, and with the thread runner the tasks and, on sqlite, the database
  // too) per invocation: steadier than wall-clock figures on a shared machine.
  const localCpuUs = Math.round((cpu.user + cpu.system) / (N + L));
  lat.sort((x, y) => x - y);
  const { rss, heap: runnerHeap } = runner
    ? { rss: await runnerRssMb(runner), heap: undefined }
    : await stopRunners(children);
  await runner?.stop();
  const out = {
    system: 'taskapp',
    backend: a.broker ? `${a.backend}+${a.broker}` : a.backend,
    runner: a.runner,
    ...(K > 0 ? { runners: K } : {}),
    n: N,
    ...(P > 0 ? { preloaded: P, preload_s: preloadS } : {}),
    concurrency: C,
    ...(a.prefetch ? { prefetch: a.prefetch } : {}),
    ...(a.batch !== 100 ? { batch: a.batch } : {}),
    enqueue_per_s: Math.round(N / ((tEnq - t0) / 1000)),
    process_per_s: Math.round(N / ((tEnd - tEnq) / 1000)),
    total_per_s: Math.round(N / ((tEnd - t0) / 1000)),
    latency_p50_ms: L > 0 ? +lat[L >> 1]!.toFixed(2) : null,
    latency_p99_ms: L > 0 ? +lat[Math.floor(L * 0.99)]!.toFixed(2) : null,
    rss_mb: rss,
    // This process's V8 heap in use after a full GC: what it still holds (its RSS may stay high after
    // the producer's handles are gone, as freed heap is not always given back to the system).
    heap_mb: Math.round(process.memoryUsage().heapUsed / 1048576),
    // --runners K: the largest runner process's V8 heap in use after a full GC (what it keeps, which
    // its RSS, with freed heap and the database's page cache, does not show on its own).
    ...(runnerHeap !== undefined ? { runner_heap_mb: runnerHeap } : {}),
    server_cpu_us_per_inv: serverCpuUs,
    // Each master's share of the server CPU (a Redis Cluster): equal shares mean masters add capacity.
    ...('shares' in serverCpu ? { server_cpu_shares: serverCpu.shares() } : {}),
    local_cpu_us_per_inv: localCpuUs,
    ...(statementCosts ? { statements: statementCosts } : {}),
  };
  if (a.json) {
    console.log(JSON.stringify(out));
  } else {
    const { statements: perStatement, ...figures } = out;
    console.table(figures);
    if (perStatement) {
      console.table(perStatement);
    }
  }

  /**
   * The producer's part (enqueue N, start the runner, wait for all N), in its own scope so that the
   * 20,000 handles it holds are garbage once it returns and are not counted as the runner's memory.
   */
  async function produceAndProcess(): Promise<{ tEnq: number; tEnd: number }> {
    const group = await add.parallelize(Array.from({ length: N }, (_, i) => ({ x: i, y: 1 })));
    const tEnq = performance.now();
    runner?.run();
    for (const ch of children) {
      ch.send('go');
    }
    let done = 0;
    for await (const { record } of group.settled()) {
      if (record.status === 'SUCCESS') {
        done++;
      }
    }
    const tEnd = performance.now();
    if (done !== N) {
      throw new Error(`only ${done} of ${N} succeeded`);
    }
    return { tEnq, tEnd };
  }
} finally {
  await cleanup();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}

/** --statements: the probe, or (pg_stat_statements not on the server) one line and exit 2. */
async function statementsOrExit() {
  try {
    return await openStatements(pgUrl);
  } catch (err) {
    if (!(err instanceof StatementsUnavailable)) {
      throw err;
    }
    console.error(`bench: ${err.message}. Fix: ${err.fix}`);
    process.exit(2);
  }
}

/** Stores `n` finished invocations with history in this run's database (bench/preload.ts). */
async function preload(n: number): Promise<void> {
  if (n <= 0) {
    return;
  }
  const { preloadPostgres, preloadSqlite } = await import('./preload.js');
  if (a.backend === 'postgres') {
    const pg = await import('pg');
    const c = new pg.default.Client({ connectionString: pgUrl });
    await c.connect();
    try {
      await c.query(`SET search_path TO "${runId}"`);
      await preloadPostgres(c, add.id, n);
    } finally {
      await c.end();
    }
  } else if (a.backend === 'sqlite') {
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(dir, 'bench.db'), { timeout: 60_000 });
    try {
      preloadSqlite(db, add.id, n);
    } finally {
      db.close();
    }
  }
}

/** Forks `k` runner processes (bench/runner-child.ts) and waits until each is ready to claim. */
async function forkRunners(k: number): Promise<ChildProcess[]> {
  const script = fileURLToPath(
    new URL(`./runner-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
  );
  const args = [a.runner, String(C), ...(a.processes ? [String(a.processes)] : [])];
  return Promise.all(
    Array.from({ length: k }, () => {
      const ch = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      return new Promise<ChildProcess>((resolve, reject) => {
        ch.once('message', () => resolve(ch));
        ch.once('exit', (code) => reject(new Error(`runner process exited (${code})`)));
      });
    }),
  );
}

/** Stops the runner processes; the largest one's resident memory and kept heap in MB. */
async function stopRunners(children: ChildProcess[]): Promise<{ rss: number; heap: number }> {
  const sizes = await Promise.all(
    children.map(
      (ch) =>
        new Promise<{ rssMb: number; heapMb: number }>((resolve) => {
          ch.once('message', (m: { rssMb: number; heapMb: number }) => resolve(m));
          ch.once('exit', () => resolve({ rssMb: 0, heapMb: 0 }));
          ch.send('stop');
        }),
    ),
  );
  await Promise.all(
    children.map((ch) =>
      ch.exitCode === null ? new Promise((r) => ch.once('exit', r)) : Promise.resolve(),
    ),
  );
  return {
    rss: Math.max(...sizes.map((s) => s.rssMb)),
    heap: Math.max(...sizes.map((s) => s.heapMb)),
  };
}

/**
 * rss_mb: the resident memory, after the run, of the process that ran the tasks (still running,
 * with everything it holds: its backend connections, and for the memory backend every invocation's
 * record and history).
 * - thread runner: the tasks ran in this process, so it is this process's RSS once the producer's
 *   handles are dropped and after a full GC (what the runner keeps, not garbage not yet collected).
 * - process runners: the tasks ran in the children; the largest child's RSS (each is one worker).
 */
async function runnerRssMb(runner: Runner): Promise<number> {
  const children = (runner as { childPids?: number[] }).childPids?.filter((pid) => pid > 0) ?? [];
  if (children.length) {
    const sizes = children.map(childRssBytes).filter((n): n is number => n !== null);
    if (sizes.length) {
      return Math.round(Math.max(...sizes) / 1048576);
    }
  }
  await keptHeapMb();
  return Math.round(process.memoryUsage().rss / 1048576);
}

/** A child's resident set size from /proc (Linux), null where that cannot be read. */
function childRssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Drops what this run created on shared servers (its Redis keys, its PostgreSQL schema). */
async function cleanup(): Promise<void> {
  const b = await runtimeOf(app).backends();
  await b.broker.purge();
  if (a.backend !== 'postgres') {
    await b.orchestrator.purge(Date.now() + 1);
  } else {
    // The schema's drop takes every row (purging a 1M-row preload first took ~10 s).
    const pg = await import('pg');
    const c = new pg.default.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${runId}" CASCADE`);
    await c.end();
  }
}
