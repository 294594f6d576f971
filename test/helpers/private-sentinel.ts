/**
 * A throwaway Redis Sentinel deployment on free loopback ports (never the shared 6379): a primary,
 * one replica and three sentinels monitoring them, each a redis-server process with its files in a
 * temp folder. `failover()` forces SENTINEL FAILOVER and resolves once the sentinels name the
 * replica as the new primary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './private-redis.js';
import { reachable } from './services.js';
import { tempDir } from './tmp.js';

export const SENTINEL_NAME = 'taskapp-test';

export interface PrivateSentinels {
  /** "127.0.0.1:port" of each sentinel, as [redis] sentinels takes them. */
  sentinels: string[];
  primaryPort: number;
  /** The first replica's port. */
  replicaPort: number;
  /** host:port the sentinels name as primary now. */
  primary(): Promise<string>;
  /** Forces a failover; resolves with the new primary once the sentinel that ran it names it. */
  failover(): Promise<string>;
  stop(): Promise<void>;
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) {
      throw new Error(`private sentinels: ${what} not reached within ${ms} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const client = (port: number) =>
  new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });

/** `replicas`: how many replicas of the primary (the test uses one). */
export async function startPrivateSentinels(replicas = 1): Promise<PrivateSentinels> {
  const tmp = tempDir('taskapp-sentinel-');
  const procs: ChildProcess[] = [];
  const start = async (port: number, args: string[]) => {
    procs.push(spawn('redis-server', args, { stdio: 'ignore' }));
    await until(() => reachable('127.0.0.1', port, 100), `port ${port} listening`);
  };
  const data = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--daemonize',
    'no',
    '--dir',
    tmp.dir,
    '--dbfilename',
    `dump-${port}.rdb`,
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory-policy',
    'noeviction',
    '--repl-diskless-sync',
    'yes',
    '--repl-diskless-sync-delay',
    '0',
  ];
  const primaryPort = await freePort();
  const replicaPorts = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const sentinelPorts = await Promise.all([0, 1, 2].map(() => freePort()));
  await start(primaryPort, data(primaryPort));
  for (const port of replicaPorts) {
    await start(port, [...data(port), '--replicaof', '127.0.0.1', String(primaryPort)]);
    const replica = client(port);
    await until(
      async () => /master_link_status:up/.test(await replica.info('replication')),
      'replica in sync',
    );
    replica.disconnect();
  }
  for (const port of sentinelPorts) {
    // Sentinel rewrites its config file: one per sentinel, in the temp folder.
    const conf = join(tmp.dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${tmp.dir}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 5000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 10000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    await start(port, [conf, '--sentinel']);
  }
  const sentinels = sentinelPorts.map((p) => client(p));
  const primaryOf = async (s: Redis) => {
    const [host, port] = (await s.call(
      'SENTINEL',
      'get-master-addr-by-name',
      SENTINEL_NAME,
    )) as string[];
    return `${host}:${port}`;
  };
  // Every sentinel must know the replica (a candidate for promotion) and the two other sentinels.
  await until(async () => {
    for (const s of sentinels) {
      const known = (await s.call('SENTINEL', 'replicas', SENTINEL_NAME)) as string[][];
      const flags = known.map((r) => r[r.indexOf('flags') + 1]);
      const peers = (await s.call('SENTINEL', 'sentinels', SENTINEL_NAME)) as unknown[];
      if (flags.length !== replicas || flags.some((f) => f !== 'slave') || peers.length < 2) {
        return false;
      }
    }
    return true;
  }, 'sentinels know the replicas and each other');
  return {
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`),
    primaryPort,
    replicaPort: replicaPorts[0]!,
    primary: () => primaryOf(sentinels[0]!),
    async failover() {
      const before = await primaryOf(sentinels[0]!);
      // NOGOODSLAVE while the sentinel's view of the replica is still fresh: ask again.
      await until(
        () =>
          sentinels[0]!.call('SENTINEL', 'failover', SENTINEL_NAME).then(
            () => true,
            (err: Error) => {
              if (!/NOGOODSLAVE|INPROG/.test(err.message)) {
                throw err;
              }
              return false;
            },
          ),
        'SENTINEL FAILOVER accepted',
        10_000,
      );
      let after = before;
      await until(async () => (after = await primaryOf(sentinels[0]!)) !== before, 'new primary');
      return after;
    },
    async stop() {
      for (const s of sentinels) {
        s.disconnect();
      }
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null || p.signalCode !== null) {
                return resolve();
              }
              p.once('exit', () => resolve());
              p.kill('SIGKILL');
            }),
        ),
      );
      tmp.cleanup();
    },
  };
}
