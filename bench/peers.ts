/**
 * `npm run bench:peers [-- bullmq graphile ...]`: the peers (bench/peers/*.mjs: BullMQ, bee-queue,
 * graphile-worker, pg-boss, DBOS, Sidequest on SQLite and on PostgreSQL) and taskapp on every
 * backend and both main runners (on postgres and redis also the thread runner tuned as the
 * graphile-worker script is: prefetch 500, batches of 1000), one after the other on the same
 * machine and servers, then the ratios taskapp / peer. The peers' packages, pinned in bench/peers/package.json, are installed on
 * first use into PEERS_CACHE (default <os tmpdir>/taskapp-peers), never into the project.
 * Then the scale rows, taskapp as work grows: postgres and sqlite with SCALE_P finished invocations
 * stored first against the empty row; sqlite at N=SCALE_N against N (the runner in its own
 * process, so its RSS is the runner's); postgres with 4 runner processes
 * against 1. Before them, head to head: graphile-worker, BullMQ and bee-queue each against taskapp
 * tuned. Each comparison runs REPEAT rounds of both runs back to back (which goes first
 * alternates) and is judged on the median of the rounds' ratios (bench/rounds.ts): one pair of runs
 * on this shared machine can be off by 2x.
 * Env: N (tasks, 20000), C (concurrency, 50), L (latency samples, 200), PEERS (space or comma list,
 * default all, `none` for none; the arguments win), BACKENDS (taskapp's, comma list; empty for none),
 * SCALE (0 skips the scale rows), SCALE_P (1000000), SCALE_N (300000), REPEAT (rounds, 3), PGURL,
 * REDIS_URL.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import {
  alternate,
  flatGoal,
  median,
  meets,
  roundRatios,
  type Metric,
  type Row,
} from './rounds.js';

const N = process.env.N ?? '20000',
  C = process.env.C ?? '50',
  L = process.env.L ?? '200';
const distBench = dirname(fileURLToPath(import.meta.url));
const root = resolve(distBench, '..', '..');
const peersSource = join(root, 'bench', 'peers');
const cache = resolve(process.env.PEERS_CACHE ?? join(tmpdir(), 'taskapp-peers'));
const allPeers = ['bullmq', 'beequeue', 'graphile', 'pgboss', 'dbos', 'sidequest'];
const listed = (text: string | undefined) => (text ?? '').split(/[\s,]+/).filter(Boolean);
const peers = process.argv.length > 2 ? process.argv.slice(2) : listed(process.env.PEERS);
const backends = listed(process.env.BACKENDS ?? 'memory,sqlite,redis,postgres');
const scale = process.env.SCALE !== '0';
const scaleP = process.env.SCALE_P ?? '1000000',
  scaleN = process.env.SCALE_N ?? '300000';
/** Rounds of each head-to-head and scale comparison (1..20; default 3). */
const REPEAT = Number(process.env.REPEAT ?? 3);
if (!Number.isInteger(REPEAT) || REPEAT < 1 || REPEAT > 20) {
  console.error(
    `bench:peers: REPEAT=${process.env.REPEAT} is not valid: expected a whole number of rounds from 1 to 20 (fix: REPEAT=3)`,
  );
  process.exit(2);
}

const jsonLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);

const rows: Row[] = [];

const total: Metric = { key: 'total_per_s', label: 'total/s', higherIsBetter: true };
const p50: Metric = { key: 'latency_p50_ms', label: 'p50 ms', higherIsBetter: false };
const serverCpu: Metric = {
  key: 'server_cpu_us_per_inv',
  label: 'server CPU µs/inv',
  higherIsBetter: false,
};

const chosen = peers.join() === 'none' ? [] : peers.length ? peers : allPeers;
const unknown = chosen.filter((p) => !allPeers.includes(p));
if (unknown.length) {
  console.error(`peers: unknown ${unknown.join(', ')} (known: ${allPeers.join(', ')})`);
  process.exit(2);
}
const installError = chosen.length ? preparePeers() : null;
for (const peer of chosen) {
  rows.push(...runPeer(peer));
}
// On the server backends, also taskapp tuned as graphile-worker's script is (its local queue of
// 500, jobs inserted 1000 per call): claims ahead of free slots and bulk enqueues of 1000.
const tuned = ['--prefetch', '500', '--batch', '1000'];
for (const backend of backends) {
  for (const runner of ['thread', 'persistent-process']) {
    rows.push(...runTaskapp(backend, runner));
  }
  if (backend === 'postgres' || backend === 'redis') {
    rows.push(...runTaskapp(backend, 'thread', tuned, { tuned: 'prefetch 500, batch 1000' }));
  }
}
const headToHead = runHeadToHead();
const comparisons = scale ? runScale() : [];

const peer = (system: string) =>
  rows.find((r) => r.system === system && typeof r.total_per_s === 'number');
const bull = peer('bullmq'),
  graphile = peer('graphile-worker');
const ratio = (a: unknown, b: Row | undefined, key: string) =>
  typeof a === 'number' && b && typeof b[key] === 'number'
    ? (a / (b[key] as number)).toFixed(2)
    : '-';
const mainRows = rows.filter((r) => r.scale === undefined && r.h2h === undefined);
if (mainRows.length) {
  console.table(
    mainRows.map((r) => ({
      system: r.system,
      backend: r.backend,
      runner: r.tuned ? `${r.runner} (${r.tuned})` : (r.runner ?? '-'),
      total_per_s: r.total_per_s ?? r.error,
      process_per_s: r.process_per_s,
      p50_ms: r.latency_p50_ms,
      p99_ms: r.latency_p99_ms,
      rss_mb: r.rss_mb,
      server_cpu_us: r.server_cpu_us_per_inv ?? '-',
      local_cpu_us: r.local_cpu_us_per_inv ?? '-',
      'total/bullmq': r.system === 'taskapp' ? ratio(r.total_per_s, bull, 'total_per_s') : '-',
      'total/graphile':
        r.system === 'taskapp' ? ratio(r.total_per_s, graphile, 'total_per_s') : '-',
    })),
  );
}
if (headToHead.length) {
  console.log(
    `head to head: taskapp tuned / peer, ${REPEAT} rounds of both runs back to back (median of the rounds)`,
  );
  console.table(headToHead.flatMap(compare));
}
if (comparisons.length) {
  console.log(
    `scale: the runs, then each comparison (ratio = scaled / base; median of ${REPEAT} rounds)`,
  );
  console.table(comparisons.flatMap((c) => [...c.base, ...c.scaled]).map(scaleRunColumns));
  console.table(comparisons.flatMap(compare));
}
console.log(JSON.stringify(rows));

/** One run of a peer's script with the workload N, C, L: its JSON row, or an error row. */
function runPeer(peer: string): Row[] {
  if (installError) {
    return [{ system: peer, backend: '-', error: installError }];
  }
  console.error(`peer: ${peer} (N=${N} C=${C} L=${L})`);
  const out = spawnSync(process.execPath, [join(cache, `${peer}.mjs`)], {
    cwd: cache,
    env: { ...process.env, N, C, L },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = jsonLines(out.stdout ?? '');
  return out.status !== 0 || lines.length === 0
    ? [...lines, { system: peer, backend: '-', error: `exit ${out.status ?? out.signal}` }]
    : lines;
}

/**
 * One `bench/run.ts --json` run of taskapp with the workload N, C, L (`--tasks` in `more` wins);
 * its JSON row, tagged with `tag`, or an error row.
 */
function runTaskapp(backend: string, runner: string, more: string[] = [], tag: Row = {}): Row[] {
  const args = ['--backend', backend, '--runner', runner, '--concurrency', C];
  args.push('--latency-samples', L, ...(more.includes('--tasks') ? [] : ['--tasks', N]), ...more);
  console.error(`taskapp: ${args.join(' ')}`);
  try {
    const out = execFileSync(process.execPath, [join(distBench, 'run.js'), ...args, '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return jsonLines(out).map((r) => ({ ...r, ...tag }));
  } catch (err) {
    const error = (err as Error).message.split('\n')[0]!;
    return [{ system: 'taskapp', backend, runner, ...tag, error }];
  }
}

interface Comparison {
  name: string;
  /** The base's and the other run's rows, one per round. */
  base: Row[];
  scaled: Row[];
  metrics: Metric[];
  /** Per metric key, the ratio asked for: at least it (more is better) or at most (said, not enforced). */
  targets: Record<string, number>;
}

/**
 * Each issue target against a peer, run REPEAT times as pairs back to back: graphile-worker against
 * taskapp postgres tuned, BullMQ and bee-queue against taskapp redis tuned (when both are chosen).
 */
function runHeadToHead(): Comparison[] {
  // The targets of issues 17 (PostgreSQL) and 18 (Redis), as ratios taskapp / peer.
  const pairs: Array<[string, string, string, Record<string, number>]> = [
    [
      'graphile',
      'graphile-worker',
      'postgres',
      { [total.key]: 1, [p50.key]: 1, [serverCpu.key]: 1 },
    ],
    ['bullmq', 'bullmq', 'redis', { [total.key]: 1.5, [p50.key]: 1, [serverCpu.key]: 0.5 }],
    ['beequeue', 'bee-queue', 'redis', { [total.key]: 1 }],
  ];
  return pairs
    .filter(([peer, , backend]) => chosen.includes(peer) && backends.includes(backend))
    .map(([peer, system, backend, targets]) => {
      const tag = (round: number): Row => ({ h2h: `${system} vs ${backend}`, round });
      const runs = alternate(
        REPEAT,
        (round) => ({ ...firstRow(runPeer(peer)), ...tag(round) }),
        (round) =>
          firstRow(
            runTaskapp(backend, 'thread', tuned, {
              tuned: 'prefetch 500, batch 1000',
              ...tag(round),
            }),
          ),
      );
      rows.push(...runs.base, ...runs.other);
      return {
        name: `taskapp ${backend} tuned vs ${system}`,
        base: runs.base,
        scaled: runs.other,
        metrics: [total, p50, serverCpu],
        targets,
      };
    });
}

/** The run's row: the first without an error, else its error row. */
function firstRow(out: Row[]): Row {
  return out.find((r) => r.error === undefined) ?? out[0] ?? {};
}

/** The scale rows, after everything else: each comparison's base and scaled run, REPEAT rounds. */
function runScale(): Comparison[] {
  const one = (backend: string, more: string[], scale: string, role: string) => (round: number) =>
    firstRow(runTaskapp(backend, 'thread', more, { scale, role, round }));
  const compared = (
    name: string,
    scale: string,
    backend: string,
    base: string[],
    scaled: string[],
    metrics: Metric[],
    fraction: number,
  ): Comparison => {
    const runs = alternate(
      REPEAT,
      one(backend, base, scale, 'base'),
      one(backend, scaled, scale, 'scaled'),
    );
    rows.push(...runs.base, ...runs.other);
    const targets = Object.fromEntries(metrics.map((m) => [m.key, flatGoal(m, fraction)]));
    return { name, base: runs.base, scaled: runs.other, metrics, targets };
  };
  const count = (n: string) => Number(n).toLocaleString('en-US');
  return [
    // Server CPU per invocation too: steadier than wall-clock figures on a shared machine.
    compared(
      `postgres: ${count(scaleP)} finished stored vs empty`,
      'postgres-preload',
      'postgres',
      [],
      ['--preload', scaleP],
      [total, p50, serverCpu],
      0.1,
    ),
    compared(
      `sqlite: ${count(scaleP)} finished stored vs empty`,
      'sqlite-preload',
      'sqlite',
      [],
      ['--preload', scaleP],
      [total, p50],
      0.1,
    ),
    // The runner in a process of its own: its RSS is the runner's, not the producer's, which holds
    // a handle per invocation it waits for.
    compared(
      `sqlite: N=${count(scaleN)} vs N=${count(N)}, runner in its own process`,
      'sqlite-large-n',
      'sqlite',
      ['--runners', '1'],
      ['--tasks', scaleN, '--runners', '1'],
      [
        total,
        { key: 'enqueue_per_s', label: 'enqueue/s', higherIsBetter: true },
        { key: 'rss_mb', label: 'rss_mb', higherIsBetter: false },
        // What the runner keeps after a full GC: RSS also holds SQLite's page cache (bounded by
        // cache_size) and heap V8 freed but kept.
        { key: 'runner_heap_mb', label: 'runner heap MB', higherIsBetter: false },
      ],
      0.1,
    ),
    compared(
      'postgres: 4 runner processes vs 1',
      'postgres-runners',
      'postgres',
      ['--runners', '1'],
      ['--runners', '4'],
      [total, serverCpu],
      0,
    ),
  ];
}

function scaleRunColumns(r: Row): Row {
  return {
    scale: r.scale ?? '-',
    role: r.role ?? '-',
    round: r.round ?? '-',
    backend: r.backend ?? '-',
    n: r.n ?? '-',
    preloaded: r.preloaded ?? '-',
    preload_s: r.preload_s ?? '-',
    runners: r.runners ?? '-',
    total_per_s: r.total_per_s ?? r.error ?? '-',
    enqueue_per_s: r.enqueue_per_s ?? '-',
    process_per_s: r.process_per_s ?? '-',
    p50_ms: r.latency_p50_ms ?? '-',
    p99_ms: r.latency_p99_ms ?? '-',
    rss_mb: r.rss_mb ?? '-',
    runner_heap_mb: r.runner_heap_mb ?? '-',
    server_cpu_us: r.server_cpu_us_per_inv ?? '-',
    local_cpu_us: r.local_cpu_us_per_inv ?? '-',
  };
}

/** One line per metric of a comparison: each round's ratio, their median, and whether it held. */
function compare(c: Comparison): Row[] {
  return c.metrics.map((m) => {
    const ratios = roundRatios(c.base, c.scaled, m.key);
    const mid = median(ratios);
    const goal = c.targets[m.key];
    const judged: Row =
      goal === undefined
        ? {}
        : {
            target: `${m.higherIsBetter ? '>=' : '<='} ${goal}`,
            met: mid === null ? '-' : meets(mid, m, goal) ? 'yes' : 'no',
          };
    return {
      comparison: c.name,
      metric: m.label,
      'ratio each round': ratios.map((r) => (r === null ? '-' : r.toFixed(2))).join(' '),
      median: mid === null ? '-' : mid.toFixed(2),
      ...judged,
    };
  });
}

/**
 * Copies the peer scripts and the compiled server-CPU probe into the cache folder and installs the
 * pinned packages there when one is missing or at another version. Returns an error text, or null.
 */
function preparePeers(): string | null {
  mkdirSync(cache, { recursive: true });
  const manifest = join(peersSource, 'package.json');
  copyFileSync(manifest, join(cache, 'package.json'));
  for (const file of readdirSync(peersSource).filter((f) => f.endsWith('.mjs'))) {
    copyFileSync(join(peersSource, file), join(cache, file));
  }
  copyFileSync(join(distBench, 'server-cpu.js'), join(cache, 'server-cpu.js'));
  const pinned = (JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies: object })
    .dependencies as Record<string, string>;
  const stale = Object.entries(pinned).filter(
    ([name, version]) => installedVersion(name) !== version,
  );
  if (stale.length === 0) {
    return null;
  }
  console.error(
    `peers: installing ${stale.map(([n, v]) => `${n}@${v}`).join(', ')} into ${cache} (npm install; ` +
      'better-sqlite3 compiles from source when no prebuilt binary downloads, a few minutes)',
  );
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: cache,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (npm.status !== 0) {
    console.error(npm.stdout, npm.stderr);
    return `npm install failed in ${cache} (exit ${npm.status ?? npm.error?.message})`;
  }
  return null;
}

function installedVersion(name: string): string | null {
  try {
    const text = readFileSync(join(cache, 'node_modules', name, 'package.json'), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}
