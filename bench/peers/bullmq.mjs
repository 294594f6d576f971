// Peer benchmark: BullMQ on the local Redis (bench/peers/workload.mjs). Jobs are added with
// addBulk, 1000 per call; the Worker (concurrency C) is made with autorun: false before the clock
// starts and run once all are enqueued; the round trips wait with Job#waitUntilFinished, fed by a
// QueueEvents stream. A fresh queue name per run; obliterated at the end. Completed jobs are kept
// (removeOnComplete: false), as taskapp keeps every invocation.
import { Queue, Worker, QueueEvents } from 'bullmq';
import { N, C, L, REDIS_URL, deferred, startRun } from './workload.mjs';

const url = new URL(REDIS_URL);
const connection = { host: url.hostname, port: Number(url.port || 6379) };
const name = 'peerbench' + Date.now();
const queue = new Queue(name, { connection });
const all = deferred();
let done = 0;
const worker = new Worker(name, async (job) => job.data.x + job.data.y, {
  connection,
  concurrency: C,
  autorun: false,
});
worker.on('completed', () => {
  if (++done === N) {
    all.resolve();
  }
});

const run = startRun({ system: 'bullmq', backend: 'redis', serverUrl: REDIS_URL });
for (let i = 0; i < N; i += 1000) {
  const jobs = Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
    name: 'add',
    data: { x: i + k, y: 1 },
    opts: { removeOnComplete: false },
  }));
  await queue.addBulk(jobs);
}
run.enqueued();
void worker.run();
await all.promise;
run.processed();

const events = new QueueEvents(name, { connection });
await events.waitUntilReady();
for (let i = 0; i < L; i++) {
  await run.roundTrip(async () => {
    const job = await queue.add('add', { x: i, y: 1 });
    if ((await job.waitUntilFinished(events)) !== i + 1) {
      throw new Error('bad result');
    }
  });
}
run.report();
await worker.close();
await events.close();
await queue.obliterate({ force: true });
await queue.close();
