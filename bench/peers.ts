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
 * against 1. Each prints in a second table with the ratio scaled / base.
 * Env: N (tasks, 20000), C (concurrency, 50), L (latency samples, 200), PEERS (space or comma list,
 * default all, `none` for none; the arguments win), BACKENDS (taskapp's, comma list; empty for none),
 * SCALE (0 skips the scale rows), SCALE_P (1000000), SCALE_N (300000), PGURL, REDIS_URL.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

type Row = Record<string, string | number | null>;
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

const jsonLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);

const rows: Row[] = [];
const chosen = peers.join() === 'none' ? [] : peers.length ? peers : allPeers;
const unknown = chosen.filter((p) => !allPeers.includes(p));
if (unknown.length) {
  console.error(`peers: unknown ${unknown.join(', ')} (known: ${allPeers.join(', ')})`);
  process.exit(2);
}
const installError = chosen.length ? preparePeers() : null;
for (const peer of chosen) {
  if (installError) {
    rows.push({ system: peer, backend: '-', error: installError });
    continue;
  }
  console.error(`peer: ${peer} (N=${N} C=${C} L=${L})`);
  const out = spawnSync(process.execPath, [join(cache, `${peer}.mjs`)], {
    cwd: cache,
    env: { ...process.env, N, C, L },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = jsonLines(out.stdout ?? '');
  rows.push(...lines);
  if (out.status !== 0 || lines.length === 0) {
    rows.push({ system: peer, backend: '-', error: `exit ${out.status ?? out.signal}` });
  }
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
const comparisons = scale ? runScale() : [];

const peer = (system: string) =>
  rows.find((r) => r.system === system && typeof r.total_per_s === 'number');
const bull = peer('bullmq'),
  graphile = peer('graphile-worker');
const ratio = (a: unknown, b: Row | undefined, key: string) =>
  typeof a === 'number' && b && typeof b[key] === 'number'
    ? (a / (b[key] as number)).toFixed(2)
    : '-';
const mainRows = rows.filter((r) => r.scale === undefined);
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
      'total/bullmq': r.system === 'taskapp' ? ratio(r.total_per_s, bull, 'total_per_s') : '-',
      'total/graphile':
        r.system === 'taskapp' ? ratio(r.total_per_s, graphile, 'total_per_s') : '-',
    })),
  );
}
if (comparisons.length) {
  console.log('scale: the runs, then each comparison (ratio = scaled / base)');
  console.table(comparisons.flatMap((c) => [c.base, c.scaled]).map(scaleRunColumns));
  console.table(comparisons.flatMap(compare));
}
console.log(JSON.stringify(rows));

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

interface Metric {
  key: string;
  label: string;
  /** Whether a larger figure is the better one (throughput) or the worse (latency, memory, CPU). */
  higherIsBetter: boolean;
}
interface Comparison {
  name: string;
  base: Row;
  scaled: Row;
  metrics: Metric[];
  /** The scaled run may be worse by at most this fraction on every metric (said, not enforced). */
  flatWithin?: number;
}

/**
 * The scale rows, after everything else: each comparison's scaled run, and its base run unless the
 * normal rows above hold it (the same backend, runner and workload).
 */
function runScale(): Comparison[] {
  const one = (backend: string, more: string[], scale: string, role: string): Row => {
    const row = runTaskapp(backend, 'thread', more, { scale, role })[0]!;
    rows.push(row);
    return row;
  };
  const normal = (backend: string, scale: string): Row => {
    const found = rows.find(
      (r) =>
        r.system === 'taskapp' &&
        r.backend === backend &&
        r.runner === 'thread' &&
        r.tuned === undefined &&
        r.scale === undefined &&
        r.error === undefined,
    );
    return found ? { ...found, scale, role: 'base (normal row)' } : one(backend, [], scale, 'base');
  };
  const total: Metric = { key: 'total_per_s', label: 'total/s', higherIsBetter: true };
  const serverCpu: Metric = {
    key: 'server_cpu_us_per_inv',
    label: 'server CPU µs/inv',
    higherIsBetter: false,
  };
  // Each base before its scaled run, so that the two are as close in time as they can be.
  const preload = 'postgres-preload';
  const empty = normal('postgres', preload);
  const stored = one('postgres', ['--preload', scaleP], preload, 'scaled');
  const sqlitePreload = 'sqlite-preload';
  const sqliteEmpty = normal('sqlite', sqlitePreload);
  const sqliteStored = one('sqlite', ['--preload', scaleP], sqlitePreload, 'scaled');
  // The runner in a process of its own: its RSS is the runner's, not the producer's, which holds
  // a handle per invocation it waits for.
  const largeN = 'sqlite-large-n';
  const small = one('sqlite', ['--runners', '1'], largeN, 'base');
  const large = one('sqlite', ['--tasks', scaleN, '--runners', '1'], largeN, 'scaled');
  const runners = 'postgres-runners';
  const oneRunner = one('postgres', ['--runners', '1'], runners, 'base');
  const fourRunners = one('postgres', ['--runners', '4'], runners, 'scaled');
  const count = (n: string) => Number(n).toLocaleString('en-US');
  return [
    {
      name: `postgres: ${count(scaleP)} finished stored vs empty`,
      base: empty,
      scaled: stored,
      // Server CPU per invocation too: steadier than wall-clock figures on a shared machine.
      metrics: [
        total,
        { key: 'latency_p50_ms', label: 'p50 ms', higherIsBetter: false },
        serverCpu,
      ],
      flatWithin: 0.1,
    },
    {
      name: `sqlite: ${count(scaleP)} finished stored vs empty`,
      base: sqliteEmpty,
      scaled: sqliteStored,
      metrics: [total, { key: 'latency_p50_ms', label: 'p50 ms', higherIsBetter: false }],
      flatWithin: 0.1,
    },
    {
      name: `sqlite: N=${count(scaleN)} vs N=${count(N)}, runner in its own process`,
      base: small,
      scaled: large,
      metrics: [
        total,
        { key: 'enqueue_per_s', label: 'enqueue/s', higherIsBetter: true },
        { key: 'rss_mb', label: 'rss_mb', higherIsBetter: false },
        // What the runner keeps after a full GC: RSS also holds SQLite's page cache (bounded by
        // cache_size) and heap V8 freed but kept.
        { key: 'runner_heap_mb', label: 'runner heap MB', higherIsBetter: false },
      ],
      flatWithin: 0.1,
    },
    {
      name: 'postgres: 4 runner processes vs 1',
      base: oneRunner,
      scaled: fourRunners,
      metrics: [total, serverCpu],
    },
  ];
}

function scaleRunColumns(r: Row): Row {
  return {
    scale: r.scale ?? '-',
    role: r.role ?? '-',
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

/** One line per metric of a comparison: base, scaled, their ratio, and whether it stayed flat. */
function compare(c: Comparison): Row[] {
  return c.metrics.map((m) => {
    const base = c.base[m.key],
      scaled = c.scaled[m.key];
    const ratio =
      typeof base === 'number' && typeof scaled === 'number' && base > 0 ? scaled / base : null;
    const flat =
      c.flatWithin === undefined || ratio === null
        ? '-'
        : (m.higherIsBetter ? ratio >= 1 - c.flatWithin : ratio <= 1 + c.flatWithin)
          ? 'yes'
          : 'no';
    return {
      scale: c.name,
      metric: m.label,
      base: base ?? c.base.error ?? '-',
      scaled: scaled ?? c.scaled.error ?? '-',
      'scaled/base': ratio === null ? '-' : ratio.toFixed(2),
      ...(c.flatWithin === undefined ? {} : { [`within ${c.flatWithin * 100} %`]: flat }),
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
