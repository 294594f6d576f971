/**
 * A Redis Sentinel failover in the middle of 2,000 invocations: the test starts its own primary,
 * one (then two) replicas and three sentinels on free loopback ports (never the shared 6379), a runner and a
 * producer that know only the sentinels, and forces SENTINEL FAILOVER while the producer is still
 * enqueueing and the runner is working. Both must follow the new primary by themselves, and every
 * invocation must finish exactly once: all SUCCESS with its result, none lost, and no execution
 * beyond the ones a recovery explains. Replication is asynchronous, so the apps run with
 * wait_replicas = the number of replicas: a change counts only once every replica Sentinel may
 * promote holds it (see README, Scaling Redis).
 * The stall (the longest time no task started, after the failover began) is logged, not asserted.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { taskapp } from '../../src/index.js';
import { runtimeOf } from '../../src/runtime/runtime.js';
import {
  startPrivateSentinels,
  SENTINEL_NAME,
  type PrivateSentinels,
} from '../helpers/private-sentinel.js';
import { until } from './helpers.js';
import { loadConfig } from '../../src/config/load.js';
import { checkRedis } from '../../src/cli/doctor-servers.js';

const N = 2000;
const CHUNK = 50;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
const title = 'chaos: Redis Sentinel failover (SENTINEL FAILOVER) mid-run';

if (hasRedisServer) {
  describe(title, () => {
    const deployments: PrivateSentinels[] = [];
    const deploy = async (replicas: number) => {
      const d = await startPrivateSentinels(replicas);
      deployments.push(d);
      return d;
    };
    afterAll(async () => {
      await Promise.all(deployments.map((d) => d.stop()));
    });

    it('taskapp doctor reaches the primary through the sentinels, names it, and checks wait_replicas', async () => {
      const deployment = await deploy(1);
      const { config } = loadConfig({
        configFile: false,
        env: {},
        code: {
          backend: 'redis',
          redis: {
            url: 'redis://127.0.0.1:1',
            sentinels: deployment.sentinels,
            sentinelName: SENTINEL_NAME,
          },
        },
      });
      const [reach] = await checkRedis(config);
      expect(reach?.level).toBe('OK');
      expect(reach?.name).toBe(
        `redis sentinel "${SENTINEL_NAME}" via ${deployment.sentinels.join(',')}`,
      );
      expect(reach?.detail).toMatch(
        new RegExp(
          `^reachable, version \\S+, primary 127\\.0\\.0\\.1:${deployment.primaryPort} with 1 replica\\(s\\)$`,
        ),
      );
      const [wrongName] = await checkRedis({
        ...config,
        redis: { ...config.redis, sentinel_name: 'no-such-primary' },
      });
      expect(wrongName?.level).toBe('FAIL');
      expect(wrongName?.fix).toMatch(/redis\.sentinel_name/);
      const waiting = await checkRedis({ ...config, redis: { ...config.redis, wait_replicas: 2 } });
      expect(waiting.find((c) => c.name.endsWith('wait_replicas'))).toMatchObject({
        level: 'FAIL',
        detail: '2 asked for, 1 replica(s) attached: every state change waits, then fails',
      });
    });

    // wait_replicas must count every replica Sentinel may promote: with two replicas and
    // wait_replicas = 1, a change the old primary's other replica confirmed is lost with it.
    it.each([
      [1, 1],
      [2, 2],
    ])(
      `${N} invocations each finish exactly once across the failover (%i replica(s), wait_replicas = %i)`,
      async (replicas, waitReplicas) => {
        const deployment = await deploy(replicas);
        const cfg = {
          backend: 'redis' as const,
          appId: `sentinel-${process.pid}-${replicas}`,
          redis: {
            // Only the password, database and TLS of url count with sentinels: a wrong port proves it.
            url: 'redis://127.0.0.1:1',
            sentinels: deployment.sentinels,
            sentinelName: SENTINEL_NAME,
            waitReplicas,
            allowNoPersistence: true,
          },
          configFile: false as const,
          loggingLevel: 'error' as const,
        };
        const producer = taskapp(cfg);
        const worker = taskapp(cfg);
        const started: number[] = [];
        const define = (app: typeof producer) =>
          app.task('add', async ({ x, y }: { x: number; y: number }) => {
            started.push(Date.now());
            await new Promise((r) => setTimeout(r, 2));
            return x + y;
          });
        const add = define(producer);
        define(worker);
        try {
          const runner = await worker.startRunner({ concurrency: 20 });
          const before = await deployment.primary();
          // The producer enqueues in chunks throughout, so calls are in flight at the failover too.
          const groups: Array<Awaited<ReturnType<typeof add.parallelize>>> = [];
          // Waiting from the start keeps the producer's result subscription open across the failover.
          const waits: Array<Promise<number[]>> = [];
          let failoverAt = 0;
          let newPrimary = '';
          for (let k = 0; k < N; k += CHUNK) {
            const group = await add.parallelize(
              Array.from({ length: CHUNK }, (_, i) => ({ x: k + i, y: 1 })),
            );
            groups.push(group);
            waits.push(group.all({ timeoutMs: 90_000 }));
            if (k + CHUNK === N / 2) {
              failoverAt = Date.now();
              void deployment.failover().then((p) => (newPrimary = p));
            }
            await new Promise((r) => setTimeout(r, 20));
          }
          const results = (await Promise.all(waits)).flat();
          await until(async () => newPrimary !== '', 20_000);
          expect(newPrimary).not.toBe(before);
          // The failover did land mid-run: some tasks had started before it, not all of them.
          const startedBefore = started.filter((t) => t < failoverAt).length;
          expect(startedBefore).toBeGreaterThan(0);
          expect(startedBefore).toBeLessThan(N);
          expect(results).toEqual(Array.from({ length: N }, (_, i) => i + 1));

          const { state } = await runtimeOf(producer).backends();
          expect(await state.countByStatus()).toEqual({ SUCCESS: N });
          const ids = groups.flatMap((g) => g.ids);
          expect(new Set(ids).size).toBe(N);
          // No silent duplicate: an execution beyond the first is one a recovery (RUNNING_RECOVERY)
          // explains, and each invocation reached SUCCESS once.
          let recovered = 0;
          for (let k = 0; k < N; k += 500) {
            const histories = await state.historyMany(ids.slice(k, k + 500));
            for (const h of Object.values(histories)) {
              recovered += h.filter((e) => e.status === 'RUNNING_RECOVERY').length;
              expect(h.filter((e) => e.status === 'SUCCESS')).toHaveLength(1);
            }
          }
          expect(started.length - N).toBe(recovered);

          const after = started.filter((t) => t >= failoverAt).sort((a, b) => a - b);
          let stall = after.length ? after[0]! - failoverAt : 0;
          for (let i = 1; i < after.length; i++) {
            stall = Math.max(stall, after[i]! - after[i - 1]!);
          }
          console.log(
            `redis sentinel failover (${replicas} replica(s), wait_replicas = ${waitReplicas}): primary ${before} -> ${newPrimary}; all ${N} SUCCESS; ${started.length - N} extra executions, ${recovered} recovered; stall ${(stall / 1000).toFixed(2)} s (longest gap without a task starting, from the failover on)`,
          );
          await runner.stop({ graceMs: 1000 });
        } finally {
          await worker.close();
          await producer.close();
        }
      },
      120_000,
    );
  });
} else if (process.env.TASKAPP_TEST_SERVICES === 'required') {
  describe(title, () => {
    it('needs redis-server on PATH', () => {
      throw new Error(
        'redis-server is not on PATH and TASKAPP_TEST_SERVICES=required: install redis-server (apt-get install redis-server)',
      );
    });
  });
} else {
  console.warn(
    `skipping ${title}: redis-server is not on PATH (set TASKAPP_TEST_SERVICES=required to make this fail)`,
  );
  describe.skip(title, () => {
    it('needs redis-server on PATH', () => {});
  });
}
