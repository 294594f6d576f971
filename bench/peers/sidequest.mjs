// Peer benchmark: Sidequest (a Redis-free job processor), twice (bench/peers/workload.mjs): the
// SQLite backend (a file in the OS temporary folder) and the PostgreSQL backend (a dedicated schema
// `peer_sidequest` in the PGURL database), one JSON line each. The job class lives in
// sidequest-job.mjs (Sidequest imports the job's file to run it).
//
// Mode: Sidequest's documented defaults: the engine runs in a forked child process and each job in
// a worker thread (piscina pool). SQ_FORK=0 SQ_RUNNER=inline runs engine and jobs in this process
// instead (the documented "serverless/tests" mode). rss_mb adds the forked engine's RSS to this
// process's. The dispatcher polls the database every jobPollingInterval (SQ_POLL_MS, default
// 100 ms) and, when the queue's C slots are all busy, sleeps that interval before claiming more.
//
// Enqueue: Sidequest has no bulk enqueue (JobBuilder.enqueue inserts one row per call, after
// resolving the job's script path from the stack), so N enqueue() calls are issued concurrently in
// chunks of 1000; Sidequest.configure() allows enqueueing before the engine starts, so nothing is
// processed meanwhile. The process phase runs from Sidequest.start() resolving (forked engine
// booted) until no job of the queue is waiting/claimed/running, checked every 20 ms. Round trips:
// Sidequest has no completion event, so each enqueues one job and polls Sidequest.job.get(id)
// every SQ_WAIT_MS (5 ms) until it is completed.
//
// Per job Sidequest writes a claim (batch), a `running` transition, a cancellation check, then a
// `completed` transition with the result, all on the one sidequest_jobs row, kept as history.
import { Sidequest } from 'sidequest';
import pg from 'pg';
import { rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddJob } from './sidequest-job.mjs';
import { N, C, L, PGURL, sleep, startRun } from './workload.mjs';

const SQLITE = process.env.SQ_SQLITE ?? join(tmpdir(), 'peer-sidequest.sqlite');
const SCHEMA = process.env.SQ_SCHEMA ?? 'peer_sidequest';
const FORK = process.env.SQ_FORK !== '0';
const RUNNER = process.env.SQ_RUNNER ?? 'thread';
const POLL_MS = Number(process.env.SQ_POLL_MS ?? 100);
const WAIT_MS = Number(process.env.SQ_WAIT_MS ?? 5);
const BACKENDS = (process.env.SQ_BACKENDS ?? 'sqlite postgres').split(/[\s,]+/).filter(Boolean);
const Q = 'add';
// The forked engine logs an info line before it applies logger.level: point its stdout at stderr
// so that stdout carries only the JSON lines (the fork inherits this process's environment).
if (FORK) {
  const quiet =
    '--import=data:text/javascript,process.stdout.write=process.stderr.write.bind(process.stderr)';
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${quiet}`.trim();
}

function rssOf(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  } catch {
    return 0;
  }
}

async function bench(name, backend, serverUrl) {
  const config = {
    backend,
    queues: [{ name: Q, concurrency: C }],
    maxConcurrentJobs: C,
    jobPollingInterval: POLL_MS,
    fork: FORK,
    runner: RUNNER,
    dashboard: { enabled: false },
    logger: { level: 'error' },
  };
  await Sidequest.configure(config); // runs migrations; enqueueing works, nothing is processed yet
  const run = startRun({ system: 'sidequest', backend: name, serverUrl });
  for (let i = 0; i < N; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, N - i) }, (_, k) =>
        Sidequest.build(AddJob)
          .queue(Q)
          .enqueue(i + k, 1),
      ),
    );
  }
  run.enqueued();
  await Sidequest.start(config);
  run.processing();
  const pending = { queue: Q, state: ['waiting', 'claimed', 'running'], limit: 1 };
  while ((await Sidequest.job.list(pending)).length) {
    await sleep(20);
  }
  run.processed();
  const counts = await Sidequest.job.count();
  if (counts.completed !== N) {
    throw new Error(`${name}: expected ${N} completed jobs, got ${JSON.stringify(counts)}`);
  }

  for (let i = 0; i < L; i++) {
    await run.roundTrip(async () => {
      const { id } = await Sidequest.build(AddJob).queue(Q).enqueue(i, 1);
      for (;;) {
        const job = await Sidequest.job.get(id);
        if (job.state === 'completed') {
          if (job.result !== i + 1) {
            throw new Error('bad result');
          }
          return;
        }
        if (job.state === 'failed' || job.state === 'canceled') {
          throw new Error(`${name}: job ${id} ${job.state}: ${JSON.stringify(job.errors)}`);
        }
        await sleep(WAIT_MS);
      }
    });
  }
  const engine = Sidequest.engine.mainWorker;
  run.report({ rssBytes: process.memoryUsage().rss + (engine ? rssOf(engine.pid) : 0) });
  await Sidequest.stop();
}

for (const b of BACKENDS) {
  if (b === 'sqlite') {
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      rmSync(SQLITE + suffix, { force: true });
    }
    await bench('sqlite', { driver: '@sidequest/sqlite-backend', config: SQLITE }, null);
  } else if (b === 'postgres') {
    const admin = new pg.Client({ connectionString: PGURL });
    await admin.connect();
    await admin.query(`drop schema if exists ${pg.escapeIdentifier(SCHEMA)} cascade`);
    await admin.end();
    const backend = {
      driver: '@sidequest/postgres-backend',
      config: { connection: PGURL, searchPath: [SCHEMA] },
    };
    await bench('postgres', backend, PGURL);
  } else {
    throw new Error('unknown backend ' + b);
  }
}
process.exit(0);
