/**
 * A Redis without AOF or RDB snapshots loses everything on restart: taskapp warns once per process
 * in its log (the shared test Redis runs with --save "" --appendonly no), says when it could not
 * check (CONFIG disabled), and is silent when persistence is on or allow_no_persistence is set.
 */
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { RedisConn } from '../../../src/backends/redis/connection.js';
import { PersistenceCheck, readPersistence } from '../../../src/backends/redis/persistence.js';
import type { Logger } from '../../../src/core/logger.js';
import { REDIS_URL, testPrefix } from '../../helpers/redis-keys.js';
import {
  hasRedisServer,
  startPrivateRedis,
  type PrivateRedis,
} from '../../helpers/private-redis.js';
import { describeWithService } from '../../helpers/services.js';

function capturingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const logger = {
    warnings,
    debug: () => {},
    info: () => {},
    error: () => {},
    warn: (msg: string) => void warnings.push(msg),
    child: () => logger,
    enabled: () => true,
  };
  return logger;
}

await describeWithService('redis', '127.0.0.1', 6379, 'redis persistence warning', () => {
  const servers: PrivateRedis[] = [];
  const clients: Redis[] = [];
  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await Promise.all(servers.map((s) => s.stop()));
  });
  const client = (url: string) => {
    const c = new Redis(url, { maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };

  it('warns once per process, in the log, when the server has neither AOF nor snapshots', async () => {
    const logger = capturingLogger();
    const open = () =>
      RedisConn.open({
        url: REDIS_URL,
        prefix: testPrefix('persist'),
        allowEviction: false,
        logger,
      });
    const a = await open();
    const b = await open();
    await a.close();
    await b.close();
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(
      /redis has neither AOF nor RDB snapshots on: a restart of Redis loses every .*allow_no_persistence/,
    );
  });

  it('is silenced by allow_no_persistence', async () => {
    const logger = capturingLogger();
    await new PersistenceCheck().check(client(REDIS_URL), {
      url: REDIS_URL,
      logger,
      allowNoPersistence: true,
    });
    expect(logger.warnings).toEqual([]);
  });

  it.skipIf(!hasRedisServer)(
    'is silent with AOF or snapshots on, and says when it cannot check',
    async () => {
      const aof = await startPrivateRedis(['--save', '', '--appendonly', 'yes']);
      const rdb = await startPrivateRedis(['--save', '900 1', '--appendonly', 'no']);
      const noConfig = await startPrivateRedis([
        '--save',
        '',
        '--appendonly',
        'no',
        '--rename-command',
        'CONFIG',
        '""',
      ]);
      servers.push(aof, rdb, noConfig);
      expect(await readPersistence(client(aof.url))).toBe('persistent');
      expect(await readPersistence(client(rdb.url))).toBe('persistent');
      expect(await readPersistence(client(noConfig.url))).toBe('unknown');
      const logger = capturingLogger();
      const check = new PersistenceCheck();
      for (const s of [aof, rdb, noConfig]) {
        await check.check(client(s.url), { url: s.url, logger, allowNoPersistence: false });
      }
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toMatch(
        /could not check whether redis persists its data \(CONFIG GET is disabled/,
      );
    },
  );
});
