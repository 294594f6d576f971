/**
 * `taskapp doctor`: one look at each backend server the config names, on its own short-lived
 * connection (the drivers load only for the backends in use): reachable, its version, and the
 * settings taskapp relies on.
 */
import type { TaskappConfig } from '../config/schema.js';
import { maskUrl } from '../backends/common/connection-utils.js';
import type { DoctorCheck } from './doctor-check.js';

const CONNECT_TIMEOUT_MS = 5000;

export async function checkRedis(cfg: TaskappConfig): Promise<DoctorCheck[]> {
  const { redisWhere, sentinelOptions, sentinelSettings } =
    await import('../backends/redis/sentinel.js');
  const sentinel = sentinelSettings(cfg.redis);
  const name = `redis ${redisWhere(cfg.redis.url, sentinel)}`;
  const { Redis } = await import('ioredis');
  const { readPersistence } = await import('../backends/redis/persistence.js');
  const redis = new Redis(cfg.redis.url, {
    ...(sentinel ? { ...sentinelOptions(sentinel, () => false), failoverDetector: false } : {}),
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    return [
      {
        name,
        level: 'FAIL',
        detail: `unreachable (${(lastError ?? (err as Error)).message})`,
        fix: sentinel
          ? 'start the sentinels, or fix redis.sentinels (env TASKAPP__REDIS__SENTINELS), redis.sentinel_name (SENTINEL MASTERS lists it) and redis.sentinel_password; redis.url gives the password of the data servers'
          : 'start Redis, or set redis.url (env TASKAPP__REDIS__URL) to its host, port, password and scheme',
      },
    ];
  }
  try {
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
    const replicas = await replicaCount(redis);
    const out: DoctorCheck[] = [
      {
        name,
        level: 'OK',
        detail: `reachable, version ${version}${sentinel ? `, primary ${primaryAddress(redis)} with ${replicas ?? '?'} replica(s)` : ''}`,
      },
    ];
    const want = cfg.redis.wait_replicas;
    if (want > 0) {
      out.push(
        replicas !== undefined && replicas < want
          ? {
              name: `${name} wait_replicas`,
              level: 'FAIL',
              detail: `${want} asked for, ${replicas} replica(s) attached: every state change waits, then fails`,
              fix: `attach replicas until there are ${want}, or set redis.wait_replicas to ${replicas} (with fewer, a failover can lose acknowledged changes)`,
            }
          : {
              name: `${name} wait_replicas`,
              level: 'OK',
              detail: `${want} asked for, ${replicas ?? '?'} replica(s) attached`,
            },
      );
    }
    const policy = await redis
      .config('GET', 'maxmemory-policy')
      .then((r) => (r as string[])[1])
      .catch(() => undefined);
    if (policy === undefined) {
      out.push({
        name: `${name} maxmemory-policy`,
        level: 'WARN',
        detail: 'unknown (CONFIG GET is disabled on this server)',
        fix: "make sure the provider's eviction policy is noeviction",
      });
    } else if (policy !== 'noeviction') {
      out.push({
        name: `${name} maxmemory-policy`,
        level: cfg.redis.allow_eviction ? 'WARN' : 'FAIL',
        detail: `"${policy}": under memory pressure Redis deletes keys, and taskapp loses work${cfg.redis.allow_eviction ? ' (accepted: redis.allow_eviction = true)' : ''}`,
        fix: 'CONFIG SET maxmemory-policy noeviction on the server, and the same in redis.conf',
      });
    } else {
      out.push({ name: `${name} maxmemory-policy`, level: 'OK', detail: 'noeviction' });
    }
    const persistence = await readPersistence(redis);
    out.push(
      persistence === 'persistent'
        ? { name: `${name} persistence`, level: 'OK', detail: 'AOF or RDB snapshots on' }
        : {
            name: `${name} persistence`,
            level: cfg.redis.allow_no_persistence ? 'OK' : 'WARN',
            detail:
              persistence === 'unknown'
                ? 'unknown (CONFIG GET is disabled and AOF is off)'
                : `neither AOF nor RDB snapshots: a Redis restart loses every invocation${cfg.redis.allow_no_persistence ? ' (accepted: redis.allow_no_persistence = true)' : ''}`,
            fix: cfg.redis.allow_no_persistence
              ? undefined
              : 'turn on `appendonly yes` (or `save` rules) on the server, or accept it with redis.allow_no_persistence = true',
          },
    );
    return out;
  } finally {
    redis.disconnect();
  }
}

/** How many replicas the server reached has attached, if INFO tells. */
async function replicaCount(redis: import('ioredis').Redis): Promise<number | undefined> {
  const info = await redis.info('replication').catch(() => '');
  const n = /connected_slaves:(\d+)/.exec(info)?.[1];
  return n === undefined ? undefined : Number(n);
}

/** host:port of the server a sentinel-routed client reached (the primary). */
function primaryAddress(redis: import('ioredis').Redis): string {
  const { remoteAddress, remotePort } = redis.stream;
  return `${remoteAddress ?? '?'}:${remotePort ?? '?'}`;
}

export async function checkPostgres(cfg: TaskappConfig): Promise<DoctorCheck[]> {
  const name = `postgres ${maskUrl(cfg.postgres.url)}`;
  const pg = (await import('pg')).default;
  const { migrations } = await import('../backends/postgres/migrate.js');
  const { clientConfig, quoteIdent } = await import('../backends/postgres/connection.js');
  const schema = cfg.postgres.schema;
  const client = new pg.Client({
    ...clientConfig(pg, cfg.postgres.url, schema, 'taskapp doctor'),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    return [
      {
        name,
        level: 'FAIL',
        detail: `unreachable (${(err as Error).message})`,
        fix: 'start PostgreSQL, or set postgres.url (env TASKAPP__POSTGRES__URL) to its host, port, user and database',
      },
    ];
  }
  try {
    const version = String(
      (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]
        ?.server_version,
    );
    const out: DoctorCheck[] = [{ name, level: 'OK', detail: `reachable, version ${version}` }];
    const latest = migrations().at(-1)?.version ?? 0;
    const table = await client.query('SELECT to_regclass($1) AS t', [
      `${quoteIdent(schema)}.schema_version`,
    ]);
    const label = `${name} schema "${schema}"`;
    if (table.rows[0]?.t === null) {
      out.push({
        name: label,
        level: 'WARN',
        detail: `not created yet (this taskapp needs version ${latest})`,
        fix: 'run `taskapp migrate` (the first runner creates it too)',
      });
      return out;
    }
    const at = Number(
      (
        await client.query<{ v: number }>(
          `SELECT coalesce(max(version), 0) AS v FROM ${quoteIdent(schema)}.schema_version`,
        )
      ).rows[0]?.v ?? 0,
    );
    if (at > latest) {
      out.push({
        name: label,
        level: 'FAIL',
        detail: `version ${at}, newer than this taskapp knows (${latest})`,
        fix: 'upgrade taskapp on this host to the version the other hosts run',
      });
    } else if (at < latest) {
      const pending = migrations()
        .filter((m) => m.version > at)
        .map((m) => m.name);
      out.push({
        name: label,
        level: 'WARN',
        detail: `version ${at}, ${pending.length} pending migration(s): ${pending.join(', ')}`,
        fix: 'run `taskapp migrate` (runners apply them at start too)',
      });
    } else {
      out.push({ name: label, level: 'OK', detail: `version ${at}, no pending migration` });
    }
    return out;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function checkRabbitmq(cfg: TaskappConfig): Promise<DoctorCheck[]> {
  const name = `rabbitmq ${maskUrl(cfg.rabbitmq.url)}`;
  const { connect } = await import('amqplib');
  try {
    const conn = await connect(cfg.rabbitmq.url, { timeout: CONNECT_TIMEOUT_MS });
    const version = String(
      (conn.connection as unknown as { serverProperties?: { version?: unknown } }).serverProperties
        ?.version ?? 'unknown',
    );
    await conn.close().catch(() => {});
    return [{ name, level: 'OK', detail: `reachable, version ${version}` }];
  } catch (err) {
    return [
      {
        name,
        level: 'FAIL',
        detail: `unreachable (${(err as Error).message})`,
        fix: 'start RabbitMQ, or set rabbitmq.url (env TASKAPP__RABBITMQ__URL) to its host, port and credentials',
      },
    ];
  }
}
