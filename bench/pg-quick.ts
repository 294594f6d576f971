/**
 * Quick postgres measurement (the full comparison lives in `npm run bench`): N no-op `add` tasks
 * enqueued with parallelize, run by a thread runner of concurrency C, then L sequential add.run.
 *   node --import tsx bench/pg-quick.ts [--tasks 10000] [--concurrency 50] [--latency 200] [--url URL]
 * Uses a throwaway schema (taskapp_bench_<pid>) and drops it afterwards.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { taskapp } from '../src/index.js';

const { values: o } = parseArgs({ options: {
  tasks: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '50' },
  latency: { type: 'string', default: '200' }, url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
} });
const N = Number(o.tasks); const C = Number(o.concurrency); const L = Number(o.latency);
const schema = `taskapp_bench_${process.pid}`;
const app = taskapp({ configFile: false, appId: 'bench', backend: 'postgres', postgres: { url: o.url, schema }, runner: { concurrency: C } });
const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
try {
  await app.backends();
  const t0 = performance.now();
  const group = await add.parallelize(Array.from({ length: N }, (_, i) => ({ x: i, y: 1 })));
  const t1 = performance.now();
  await app.startRunner({ runner: 'thread', concurrency: C });
  await group.all({ timeoutMs: 600_000 });
  const t2 = performance.now();
  const lat: number[] = [];
  for (let i = 0; i < L; i++) { const s = performance.now(); await add.run({ x: i, y: 1 }); lat.push(performance.now() - s); }
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  console.log(JSON.stringify({
    system: 'taskapp', backend: 'postgres', n: N, concurrency: C,
    enqueue_per_s: Math.round(N / ((t1 - t0) / 1000)), process_per_s: Math.round(N / ((t2 - t1) / 1000)),
    total_per_s: Math.round(N / ((t2 - t0) / 1000)),
    latency_p50_ms: +q(0.5).toFixed(2), latency_p99_ms: +q(0.99).toFixed(2),
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
  }));
} finally {
  await app.close();
  const c = new pg.Client({ connectionString: o.url });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}
