/**
 * `npm run bench:peers`: the peers (BullMQ, graphile-worker, pg-boss, via ../shared/bench-peers/
 * run-all.sh) and taskapp on every backend and both main runners, one after the other on the same
 * machine and servers, then the ratios taskapp / peer. Env: N (tasks, 20000), C (concurrency, 50),
 * L (latency samples, 200), PEERS_DIR (default ../shared/bench-peers), BACKENDS (comma list).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

type Row = Record<string, string | number>;
const N = process.env.N ?? '20000',
  C = process.env.C ?? '50',
  L = process.env.L ?? '200';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const peersDir = resolve(process.env.PEERS_DIR ?? join(root, '..', 'shared', 'bench-peers'));
const backends = (process.env.BACKENDS ?? 'memory,sqlite,redis,postgres').split(',');

const jsonLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);

const rows: Row[] = [];
if (existsSync(join(peersDir, 'run-all.sh'))) {
  console.error(`peers: ${peersDir}/run-all.sh (N=${N} C=${C} L=${L})`);
  const out = spawnSync('bash', [join(peersDir, 'run-all.sh')], {
    env: { ...process.env, N, C, L },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  rows.push(...jsonLines(out.stdout ?? ''));
} else {
  console.error(`peers: ${peersDir}/run-all.sh not found; only taskapp is measured`);
}
for (const backend of backends) {
  for (const runner of ['thread', 'persistent-process']) {
    console.error(`taskapp: ${backend} ${runner}`);
    try {
      const out = execFileSync(
        process.execPath,
        [
          join(root, 'dist', 'bench', 'run.js'),
          '--backend',
          backend,
          '--runner',
          runner,
          '--tasks',
          N,
          '--concurrency',
          C,
          '--latency-samples',
          L,
          '--json',
        ],
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
    'total/bullmq': r.system === 'taskapp' ? ratio(r.total_per_s, bull, 'total_per_s') : '-',
    'total/graphile': r.system === 'taskapp' ? ratio(r.total_per_s, graphile, 'total_per_s') : '-',
  })),
);
console.log(JSON.stringify(rows));
