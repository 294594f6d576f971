// Quick redis figure (not the full bench): N no-op add tasks via parallelize + a thread runner with
// concurrency 50, then the p50/p99 of 200 sequential add.run calls. Run: npx tsx bench/redis-quick.mts [N]
import { taskapp } from '../src/index.js';
import { deleteKeys } from '../test/helpers/redis-keys.js';
const N = Number(process.argv[2] ?? 10000);
const prefix = `taskapp-test:bench:${Date.now()}:`;
const app = taskapp({ backend: 'redis', redis: { prefix }, configFile: false, loggingLevel: 'warn' });
const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
await app.startRunner({ concurrency: 50 });
const t0 = performance.now();
const g = await add.parallelize(Array.from({ length: N }, (_, i) => ({ x: i, y: 1 })));
const t1 = performance.now();
await g.all({ timeoutMs: 300_000 });
const t2 = performance.now();
const lat: number[] = [];
for (let i = 0; i < 200; i++) { const s = performance.now(); await add.run({ x: i, y: i }); lat.push(performance.now() - s); }
lat.sort((a, b) => a - b);
console.log(JSON.stringify({ n: N, enqueue_per_s: Math.round(N / ((t1 - t0) / 1000)), total_per_s: Math.round(N / ((t2 - t0) / 1000)),
  latency_p50_ms: +lat[100]!.toFixed(3), latency_p99_ms: +lat[198]!.toFixed(3), rss_mb: Math.round(process.memoryUsage().rss / 1e6) }));
await app.close();
await deleteKeys(prefix);
