/**
 * `npm run bench:peers [-- bullmq graphile ...]`: the peers (bench/peers/*.mjs: BullMQ, bee-queue,
 * graphile-worker, pg-boss, DBOS, Sidequest on SQLite and on PostgreSQL) and taskapp on every
 * backend and both main runners, one after the other on the same machine and servers, then the
 * ratios taskapp / peer. The peers' packages, pinned in bench/peers/package.json, are installed on
 * first use into PEERS_CACHE (default <os tmpdir>/taskapp-peers), never into the project.
 * Env: N (tasks, 20000), C (concurrency, 50), L (latency samples, 200), PEERS (space or comma list,
 * default all; the arguments win), BACKENDS (taskapp's, comma list; empty for none), PGURL, REDIS_URL.
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

const jsonLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);

const rows: Row[] = [];
const chosen = peers.length ? peers : allPeers;
const unknown = chosen.filter((p) => !allPeers.includes(p));
if (unknown.length) {
  console.error(`peers: unknown ${unknown.join(', ')} (known: ${allPeers.join(', ')})`);
  process.exit(2);
}
const installError = preparePeers();
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
for (const backend of backends) {
  for (const runner of ['thread', 'persistent-process']) {
    console.error(`taskapp: ${backend} ${runner}`);
    try {
      const args = ['--backend', backend, '--runner', runner, '--tasks', N, '--concurrency', C];
      const out = execFileSync(
        process.execPath,
        [join(distBench, 'run.js'), ...args, '--latency-samples', L, '--json'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      rows.push(...jsonLines(out));
    } catch (err) {
      rows.push({
        system: 'taskapp',
        backend,
        runner,
        error: (err as Error).message.split('\n')[0]!,
      });
    }
  }
}

const peer = (system: string) =>
  rows.find((r) => r.system === system && typeof r.total_per_s === 'number');
const bull = peer('bullmq'),
  graphile = peer('graphile-worker');
const ratio = (a: unknown, b: Row | undefined, key: string) =>
  typeof a === 'number' && b && typeof b[key] === 'number'
    ? (a / (b[key] as number)).toFixed(2)
    : '-';
console.table(
  rows.map((r) => ({
    system: r.system,
    backend: r.backend,
    runner: r.runner ?? '-',
    total_per_s: r.total_per_s ?? r.error,
    process_per_s: r.process_per_s,
    p50_ms: r.latency_p50_ms,
    p99_ms: r.latency_p99_ms,
    rss_mb: r.rss_mb,
    server_cpu_us: r.server_cpu_us_per_inv ?? '-',
    'total/bullmq': r.system === 'taskapp' ? ratio(r.total_per_s, bull, 'total_per_s') : '-',
    'total/graphile': r.system === 'taskapp' ? ratio(r.total_per_s, graphile, 'total_per_s') : '-',
  })),
);
console.log(JSON.stringify(rows));

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
