// Peer benchmark: DBOS Transact (@dbos-inc/dbos-sdk) durable workflows on the local PostgreSQL
// (bench/peers/workload.mjs): N `add` workflows enqueued on a DBOS queue (worker concurrency C),
// then processed; round trips enqueue one and await its result.
//
// Setup: a dedicated system database `peer_dbos` (DBOS_DB to rename it) on the server of PGURL,
// dropped and recreated (DBOS migrates it on launch) at every start, so runs are repeatable and
// nothing else is touched.
//
// Enqueue: DBOS has no user-facing bulk enqueue (the batch insert in its `eventreceiver` module is
// internal, for Kafka/SQS receivers), so N DBOS.startWorkflow(wf, { queueName }) calls are issued
// concurrently in chunks of 1000: one INSERT transaction per workflow, over the system-database
// pool (10 connections). The queue is registered only after that, so nothing is dequeued while
// enqueueing (startWorkflow does not check that the queue exists), as the other peers' workers
// start after the bulk insert.
//
// Polling: a DBOS queue is dispatched by polling, at most C - running workflows per poll, with a
// default base interval of 1000 ms, which caps throughput near C per second. This script sets the
// queue's documented minPollingIntervalMs to DBOS_POLL_MS (10 ms). A newly registered queue is
// discovered on DBOS's 1 s reconcile cadence, so the process phase is timed from the first
// workflow start, not from registerQueue. Handles' getResult polls the workflow row every
// pollingIntervalMs (1000 ms by default); the round trips pass DBOS_RESULT_POLL_MS (5 ms).
//
// Per task DBOS does more than a plain job queue: each workflow is a durable row in
// workflow_status (inputs, status ENQUEUED -> PENDING -> SUCCESS, output), kept as history.
import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import { N, C, L, PGURL, deferred, sleep, startRun } from './workload.mjs';

const DB = process.env.DBOS_DB ?? 'peer_dbos';
const POLL_MS = Number(process.env.DBOS_POLL_MS ?? 10);
const RESULT_POLL_MS = Number(process.env.DBOS_RESULT_POLL_MS ?? 5);
const Q = 'peer_add';

// Clean state: drop this script's own system database (DBOS recreates it on launch).
const admin = new pg.Client({ connectionString: PGURL });
await admin.connect();
await admin.query(`drop database if exists ${pg.escapeIdentifier(DB)} with (force)`);
await admin.end();
const systemDatabaseUrl = new URL(PGURL);
systemDatabaseUrl.pathname = '/' + DB;

const all = deferred();
let done = 0;
let tFirst = 0;
// The workflow itself adds x + y (no inner step: a step would add one more checkpoint row).
const add = DBOS.registerWorkflow(
  async (x, y) => {
    if (!tFirst) {
      tFirst = performance.now();
    }
    const r = x + y;
    if (++done === N) {
      all.resolve();
    }
    return r;
  },
  { name: 'add' },
);

DBOS.setConfig({
  name: 'peer-bench',
  systemDatabaseUrl: systemDatabaseUrl.href,
  logLevel: 'error',
});
await DBOS.launch();

const run = startRun({ system: 'dbos', backend: 'postgres', serverUrl: PGURL });
for (let i = 0; i < N; i += 1000) {
  await Promise.all(
    Array.from({ length: Math.min(1000, N - i) }, (_, k) =>
      DBOS.startWorkflow(add, { queueName: Q })(i + k, 1),
    ),
  );
}
run.enqueued();
await DBOS.registerQueue(Q, { workerConcurrency: C, minPollingIntervalMs: POLL_MS });
await all.promise;
// Bodies have all run; wait until every workflow is recorded as finished (usually at once).
const unfinished = { queueName: Q, status: ['ENQUEUED', 'PENDING'], limit: 1 };
while ((await DBOS.listWorkflows({ ...unfinished, loadInput: false, loadOutput: false })).length) {
  await sleep(2);
}
run.processing(tFirst);
run.processed();
const succeeded = await DBOS.listWorkflows({
  queueName: Q,
  status: 'SUCCESS',
  loadInput: false,
  loadOutput: false,
});
if (succeeded.length !== N) {
  throw new Error(`expected ${N} successful workflows, found ${succeeded.length}`);
}

for (let i = 0; i < L; i++) {
  await run.roundTrip(async () => {
    const handle = await DBOS.startWorkflow(add, { queueName: Q })(i, 1);
    if ((await handle.getResult({ pollingIntervalMs: RESULT_POLL_MS })) !== i + 1) {
      throw new Error('bad result');
    }
  });
}
run.report();
await DBOS.shutdown();
process.exit(0);
