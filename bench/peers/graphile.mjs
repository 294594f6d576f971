// Peer benchmark: graphile-worker on the local PostgreSQL (bench/peers/workload.mjs), in the
// PGURL database's graphile_worker schema (its jobs are deleted at the start). Jobs are inserted
// 1000 per call with graphile_worker.add_jobs; the worker runs with concurrency C and 0.17's batched
// job fetch (local queue) and batched completion, its fastest documented setting. Round trips add
// one job with addJob and wait for the task function to see it (graphile-worker has no result).
import { run as runWorker, makeWorkerUtils, Logger } from 'graphile-worker';
import { N, C, L, PGURL, deferred, startRun } from './workload.mjs';

const logger = new Logger(() => () => {});
const connectionString = PGURL;
const utils = await makeWorkerUtils({ connectionString, logger });
await utils.migrate();
await utils.withPgClient((c) => c.query('delete from graphile_worker._private_jobs'));
const all = deferred();
const waiters = new Map();
let done = 0;

const run = startRun({ system: 'graphile-worker', backend: 'postgres', serverUrl: PGURL });
for (let i = 0; i < N; i += 1000) {
  const specs = Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
    identifier: 'add',
    payload: { x: i + k, y: 1 },
  }));
  await utils.withPgClient((c) =>
    c.query(
      'select graphile_worker.add_jobs(array(select json_populate_recordset(null::graphile_worker.job_spec, $1::json)))',
      [JSON.stringify(specs)],
    ),
  );
}
run.enqueued();
const preset = {
  worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
};
const add = async (p) => {
  const r = p.x + p.y;
  if (p.lat) {
    waiters.get(p.lat)?.(r);
  } else if (++done === N) {
    all.resolve();
  }
  return r;
};
const runner = await runWorker({
  connectionString,
  concurrency: C,
  noHandleSignals: true,
  pollInterval: 1000,
  logger,
  preset,
  taskList: { add },
});
await all.promise;
run.processed();

for (let i = 0; i < L; i++) {
  await run.roundTrip(async () => {
    const id = 'l' + i;
    const result = new Promise((resolve) => waiters.set(id, resolve));
    await utils.addJob('add', { x: i, y: 1, lat: id });
    if ((await result) !== i + 1) {
      throw new Error('bad result');
    }
  });
}
run.report();
await runner.stop();
await utils.release();
