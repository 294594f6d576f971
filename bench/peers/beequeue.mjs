// Peer benchmark: bee-queue on the local Redis (bench/peers/workload.mjs). Jobs are saved with
// saveAll (one pipelined batch per 1000 jobs), then processed by one worker of concurrency C; the
// round trips wait for the job's 'succeeded' event (Redis pub/sub) on a separate producer queue
// (isWorker: false, getEvents: true). Keys live under the prefix `peerbench-bq:` (queue `add`);
// Queue#destroy clears them at the start and at the end. The worker queue does not subscribe to
// job events (BullMQ's QueueEvents also exists only for the round trips). Defaults otherwise:
// jobs stay stored after success (removeOnSuccess false), an event is published per finished
// job, stall detection on.
import Queue from 'bee-queue';
import { N, C, L, REDIS_URL, deferred, failOn, startRun } from './workload.mjs';

const url = new URL(REDIS_URL);
const redis = {
  host: url.hostname,
  port: Number(url.port || 6379),
  ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
};
const queue = new Queue('add', {
  redis,
  prefix: 'peerbench-bq',
  getEvents: false,
  storeJobs: false,
});
queue.on('error', failOn);
await queue.ready();
await queue.destroy();

const all = deferred();
let done = 0;
queue.on('succeeded', () => {
  if (++done === N) {
    all.resolve();
  }
});
const run = startRun({ system: 'bee-queue', backend: 'redis', serverUrl: REDIS_URL });
for (let i = 0; i < N; i += 1000) {
  const jobs = Array.from({ length: Math.min(1000, N - i) }, (_, k) =>
    queue.createJob({ x: i + k, y: 1 }),
  );
  const errors = await queue.saveAll(jobs);
  if (errors.size) {
    throw [...errors.values()][0];
  }
}
run.enqueued();
queue.process(C, async (job) => job.data.x + job.data.y);
await all.promise;
run.processed();

const producer = new Queue('add', { redis, prefix: 'peerbench-bq', isWorker: false });
producer.on('error', failOn);
await producer.ready();
for (let i = 0; i < L; i++) {
  await run.roundTrip(async () => {
    const job = producer.createJob({ x: i, y: 1 });
    const finished = new Promise((resolve, reject) => {
      job.once('succeeded', resolve);
      job.once('failed', reject);
    });
    await job.save();
    if ((await finished) !== i + 1) {
      throw new Error('bad result');
    }
  });
}
run.report();
await queue.destroy();
await queue.close();
await producer.close();
process.exit(0);
