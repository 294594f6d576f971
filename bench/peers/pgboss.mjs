// Peer benchmark: pg-boss on the local PostgreSQL (bench/peers/workload.mjs), in schema
// pgboss_bench of the PGURL database, a fresh queue per run. Jobs are inserted with boss.insert,
// 1000 per call; min(C, 8) workers each fetch batches of 100 (pg-boss's documented way to scale a
// worker), polling every 0.5 s when idle. Round trips send one job and wait for a handler to see
// it (the poll interval dominates them).
import PgBoss from 'pg-boss';
import { N, C, L, PGURL, deferred, startRun } from './workload.mjs';

const boss = new PgBoss({ connectionString: PGURL, schema: 'pgboss_bench' });
boss.on('error', () => {});
await boss.start();
const queue = 'add' + Date.now();
await boss.createQueue(queue);
const all = deferred();
const waiters = new Map();
let done = 0;

const run = startRun({ system: 'pg-boss', backend: 'postgres', serverUrl: PGURL });
for (let i = 0; i < N; i += 1000) {
  const jobs = Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
    name: queue,
    data: { x: i + k, y: 1 },
  }));
  await boss.insert(jobs);
}
run.enqueued();
const handler = async (jobs) => {
  for (const job of jobs) {
    const r = job.data.x + job.data.y;
    if (job.data.lat) {
      waiters.get(job.data.lat)?.(r);
    } else if (++done === N) {
      all.resolve();
    }
  }
};
for (let w = 0; w < Math.min(C, 8); w++) {
  await boss.work(queue, { batchSize: 100, pollingIntervalSeconds: 0.5 }, handler);
}
await all.promise;
run.processed();

for (let i = 0; i < L; i++) {
  await run.roundTrip(async () => {
    const id = 'l' + i;
    const result = new Promise((resolve) => waiters.set(id, resolve));
    await boss.send(queue, { x: i, y: 1, lat: id });
    if ((await result) !== i + 1) {
      throw new Error('bad result');
    }
  });
}
run.report();
await boss.stop({ graceful: false, wait: false });
process.exit(0);
