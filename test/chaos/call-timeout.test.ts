/**
 * A producer's call() while the server hangs or is unreachable (a TCP proxy in front of the shared
 * server, frozen or cut; the server itself is never touched): it fails after call_timeout_seconds
 * (or sooner, when the connection is refused) naming the server, instead of hanging for the outage.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CallTimeoutError, taskapp, type App } from '../../src/index.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../helpers/postgres.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../helpers/redis-keys.js';
import { reachable } from '../helpers/services.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const prefix = testPrefix('call-timeout');
const scope = pgScope('calltimeout');
const redisUp = await reachable('127.0.0.1', 6379);
const pgUp = await reachable(PG_HOST, PG_PORT);
const required = process.env.TASKAPP_TEST_SERVICES === 'required';

afterAll(async () => {
  if (redisUp) {
    await deleteKeys(prefix);
  }
  if (pgUp) {
    await scope.cleanup();
  }
});

const backends: Array<{
  name: 'redis' | 'postgres';
  up: boolean;
  target: [string, number];
  config: (port: number) => Parameters<typeof taskapp>[0];
  shown: (port: number) => string;
}> = [
  {
    name: 'redis',
    up: redisUp,
    target: ['127.0.0.1', 6379],
    config: (port) => ({
      backend: 'redis',
      redis: {
        url: REDIS_URL.replace('127.0.0.1:6379', `127.0.0.1:${port}`),
        prefix,
        allowNoPersistence: true,
      },
    }),
    shown: (port) => `redis at redis://127.0.0.1:${port}`,
  },
  {
    name: 'postgres',
    up: pgUp,
    target: [PG_HOST, PG_PORT],
    config: (port) => ({
      backend: 'postgres',
      postgres: {
        url: PG_URL.replace(`${PG_HOST}:${PG_PORT}`, `127.0.0.1:${port}`),
        schema: scope.next(),
        poolSize: 2,
      },
    }),
    shown: (port) => `postgres at postgres://postgres@127.0.0.1:${port}/`,
  },
];

describe('call() while the server is unreachable', () => {
  for (const b of backends) {
    if (!b.up && required) {
      throw new Error(`${b.name} is required (TASKAPP_TEST_SERVICES=required) but not reachable`);
    }
    it.skipIf(!b.up)(`${b.name}: fails with CALL_TIMEOUT naming the server`, async () => {
      const proxy = new TcpProxy(...b.target);
      await proxy.up();
      const app: App = taskapp({
        configFile: false,
        loggingLevel: 'error',
        callTimeoutSeconds: 1,
        ...b.config(proxy.port),
      });
      try {
        const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
        await runtimeOf(app).backends(); // opened (and migrated) while the server answers
        const first = await add.call({ x: 1, y: 2 });
        expect(await first.status()).toBe('REGISTERED');
        proxy.freeze();
        const err = await add.call({ x: 3, y: 4 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CallTimeoutError);
        expect(err).toMatchObject({ code: 'CALL_TIMEOUT' });
        expect((err as CallTimeoutError).server).toContain(b.shown(proxy.port));
        expect((err as Error).message).toContain(
          `cannot call task "add": no answer from ${b.shown(proxy.port)}`,
        );
        expect((err as CallTimeoutError).fix).toContain('call_timeout_seconds');
        // Cut (connections reset, new ones refused): fails too, naming the server.
        await proxy.down();
        const cut = await add.call({ x: 5, y: 6 }).catch((e: unknown) => e);
        expect(cut).toMatchObject({ code: expect.stringMatching(/^(CALL_TIMEOUT|BACKEND)$/) });
        expect((cut as Error).message).toContain(`127.0.0.1:${proxy.port}`);
      } finally {
        await proxy.down();
        await app.close();
      }
    });
  }
});
