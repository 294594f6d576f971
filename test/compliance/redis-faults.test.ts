/**
 * Connection faults on the redis backend: 2,000 tasks run on a thread runner while this test kills
 * the app's Redis connections (CLIENT KILL of this run's clients only, found by their client
 * name). Every invocation must still reach SUCCESS, once.
 */
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { countingAddApps } from '../helpers/counting-apps.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { describeWithService } from '../helpers/services.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const prefix = testPrefix('faults');
const N = 2000;

/** Kills every connection whose client name carries this run's prefix; returns how many. */
async function killOurClients(admin: Redis): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  let n = 0;
  for (const line of list.split('\n')) {
    const id = /\bid=(\d+)/.exec(line)?.[1];
    const name = /\bname=(\S*)/.exec(line)?.[1] ?? '';
    if (id && name.startsWith(`taskapp:${prefix}`)) {
      n += Number(await admin.client('KILL', 'ID', id));
    }
  }
  return n;
}

await describeWithService(
  'redis',
  '127.0.0.1',
  6379,
  'redis backend under connection faults',
  () => {
    afterAll(async () => {
      await deleteKeys(prefix);
    });

    it(`runs ${N} tasks to SUCCESS while its connections are killed`, async () => {
      const cfg = {
        backend: 'redis' as const,
        redis: { url: REDIS_URL, prefix },
        configFile: false as const,
        loggingLevel: 'error' as const,
      };
      const { producer, worker, add, counter } = countingAddApps(cfg);
      const admin = new Redis(REDIS_URL);
      try {
        await worker.startRunner({ concurrency: 50 });
        const group = await add.parallelize(Array.from({ length: N }, (_, i) => ({ x: i, y: 1 })));
        let done = false;
        let killed = 0;
        let rounds = 0;
        const killer = (async () => {
          while (!done) {
            await new Promise((r) => setTimeout(r, 25));
            if (done) {
              break;
            }
            const k = await killOurClients(admin);
            if (k) {
              killed += k;
              rounds++;
            }
          }
        })();
        const results = await group.all({ timeoutMs: 50_000 }).finally(() => {
          done = true;
        });
        await killer;
        expect(rounds).toBeGreaterThanOrEqual(2);
        expect(killed).toBeGreaterThan(rounds);
        expect(results).toEqual(Array.from({ length: N }, (_, i) => i + 1));
        const { state } = await runtimeOf(producer).backends();
        expect(await state.countByStatus()).toEqual({ SUCCESS: N });
        const recs = await state.getMany(group.ids);
        expect(new Set(recs.map((r) => r.id)).size).toBe(N);
        expect(recs.every((r) => r.status === 'SUCCESS' && r.attempt === 1)).toBe(true);
        // A status change resent after a lost reply must not be applied twice.
        const hist = await Promise.all(group.ids.slice(0, 200).map((id) => state.history(id)));
        for (const h of hist) {
          expect(h.map((e) => e.status)).toEqual(['REGISTERED', 'PENDING', 'RUNNING', 'SUCCESS']);
        }
        expect(counter.executions).toBe(N);
      } finally {
        await worker.close();
        await producer.close();
        admin.disconnect();
      }
    });
  },
);
