// The workload every peer script runs, the same as taskapp's `npm run bench` (bench/run.ts):
// N no-op add(x, y) jobs enqueued in bulk (or as fast as the library allows), then processed by one
// worker of concurrency C until all N are done; then L sequential single-job round trips (enqueue
// one, wait for its result). Each script prints one JSON line with the fields of bench/run.ts.
// Env: N (20000), C (50), L (200), PGURL, REDIS_URL.
import { startServerCpu } from './server-cpu.js';

export const N = Number(process.env.N ?? 20000);
export const C = Number(process.env.C ?? 50);
export const L = Number(process.env.L ?? 200);
export const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise resolved by calling `resolve()` later (the "all N done" signal of the scripts). */
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Starts the clocks of one run: the server's CPU (redis/postgres url, or null for an embedded
 * database) and the enqueue timer. Call `enqueued()`, `processing()` (when the worker starts,
 * if later than the end of the enqueue phase), `processed()`, time each round trip with
 * `roundTrip(fn)`, then `report()` prints the JSON line.
 */
export function startRun({ system, backend, serverUrl }) {
  const serverCpu = startServerCpu(serverUrl);
  const cpu0 = process.cpuUsage();
  const latencies = [];
  const t = { start: performance.now(), enqueued: 0, processing: 0, processed: 0 };
  return {
    enqueued() {
      t.enqueued = t.processing = performance.now();
    },
    processing(at = performance.now()) {
      t.processing = at;
    },
    processed() {
      t.processed = performance.now();
    },
    async roundTrip(fn) {
      const s = performance.now();
      await fn();
      latencies.push(performance.now() - s);
    },
    report({ rssBytes = process.memoryUsage().rss } = {}) {
      const serverCpuUs = serverCpu.perInvocationUs(N + latencies.length);
      const cpu = process.cpuUsage(cpu0);
      const enqueueMs = t.enqueued - t.start;
      const processMs = t.processed - t.processing;
      latencies.sort((x, y) => x - y);
      const at = (q) =>
        +(latencies[Math.min(latencies.length - 1, Math.floor(q))] ?? NaN).toFixed(2);
      const line = {
        system,
        backend,
        n: N,
        concurrency: C,
        enqueue_per_s: Math.round(N / (enqueueMs / 1000)),
        process_per_s: Math.round(N / (processMs / 1000)),
        total_per_s: Math.round(N / ((enqueueMs + processMs) / 1000)),
        latency_p50_ms: at(latencies.length >> 1),
        latency_p99_ms: at(latencies.length * 0.99),
        rss_mb: Math.round(rssBytes / 1048576),
        server_cpu_us_per_inv: serverCpuUs,
        // This process's CPU (producer and worker) over the same span, as bench/run.ts reports it.
        local_cpu_us_per_inv: Math.round((cpu.user + cpu.system) / (N + latencies.length)),
      };
      console.log(JSON.stringify(line));
    },
  };
}

/** Ends the process on an unexpected error with its stack on stderr (the runner reads stdout). */
export function failOn(err) {
  console.error(err);
  process.exit(1);
}
