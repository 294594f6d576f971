/**
 * A Redis restart in the middle of a run of 2,000 tasks: the test starts its own redis-server on a
 * free loopback port (never the shared 6379 one), kill -9s it mid-run and starts it again on the
 * same port. The server keeps its data across the restart (append-only file, fsync on every
 * write, as a production Redis holding a task queue would), so the runner and the producer only
 * have to reconnect: every invocation must reach SUCCESS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { countingAddApps } from '../helpers/counting-apps.js';
import { reachable } from '../helpers/services.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from './helpers.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const N = 2000;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A private redis-server whose data survives kill -9 (AOF, fsync always) in `dir`. */
function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  return until(() => reachable('127.0.0.1', port, 200), 10_000).then(() => proc);
}

const exited = (p: ChildProcess) =>
  new Promise<void>((r) =>
    p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r()),
  );

function title(): string {
  return 'chaos: redis-server restart (kill -9, same port) mid-run';
}

if (hasRedisServer) {
  describe(title(), () => {
    const tmp = tempDir('taskapp-redis-restart-');
    let server: ChildProcess | undefined;
    afterAll(async () => {
      if (server && server.exitCode === null && server.signalCode === null) {
        server.kill('SIGKILL');
        await exited(server);
      }
      tmp.cleanup();
    });

    it(`${N} tasks all reach SUCCESS across the restart`, async () => {
      const port = await freePort();
      server = await startRedis(port, tmp.dir);
      const cfg = {
        backend: 'redis' as const,
        redis: { url: `redis://127.0.0.1:${port}` },
        configFile: false as const,
        loggingLevel: 'error' as const,
      };
      const { producer, worker, add, counter } = countingAddApps({ ...cfg, appId: 'restart' });
      try {
        const runner = await worker.startRunner({ concurrency: 20 });
        const group = await add.parallelize(Array.from({ length: N }, (_, i) => ({ x: i, y: 1 })));
        const { state } = await runtimeOf(producer).backends();
        await until(async () => ((await state.countByStatus()).SUCCESS ?? 0) >= N / 5);
        const before = (await state.countByStatus()).SUCCESS ?? 0;

        server.kill('SIGKILL');
        await exited(server);
        await new Promise((r) => setTimeout(r, 500)); // clients notice the drop and start backing off
        server = await startRedis(port, tmp.dir);

        const results = await group.all({ timeoutMs: 60_000 });
        expect(results).toEqual(Array.from({ length: N }, (_, i) => i + 1));
        expect(await state.countByStatus()).toEqual({ SUCCESS: N });
        expect(before).toBeLessThan(N); // the kill did land mid-run
        // No silent duplicate: an extra execution is one a recovery (RUNNING_RECOVERY) explains.
        let recovered = 0;
        for (let k = 0; k < N; k += 500) {
          for (const h of Object.values(await state.historyMany(group.ids.slice(k, k + 500)))) {
            recovered += h.filter((e) => e.status === 'RUNNING_RECOVERY').length;
          }
        }
        console.log(
          `redis restart: ${before}/${N} SUCCESS at the kill; all ${N} SUCCESS after it; ${counter.executions - N} extra executions, ${recovered} recovered`,
        );
        expect(counter.executions - N).toBe(recovered);
        await runner.stop({ graceMs: 1000 });
      } finally {
        await worker.close();
        await producer.close();
      }
    }, 90_000);
  });
} else if (process.env.TASKAPP_TEST_SERVICES === 'required') {
  describe(title(), () => {
    it('needs redis-server on PATH', () => {
      throw new Error(
        'redis-server is not on PATH and TASKAPP_TEST_SERVICES=required: install redis-server (apt-get install redis-server)',
      );
    });
  });
} else {
  console.warn(
    `skipping ${title()}: redis-server is not on PATH (set TASKAPP_TEST_SERVICES=required to make this fail)`,
  );
  describe.skip(title(), () => {
    it('needs redis-server on PATH', () => {});
  });
}
