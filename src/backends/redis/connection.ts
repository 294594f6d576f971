/**
 * One Redis connection set per backend instance: the main connection (scripts and reads), and on
 * demand a blocking one (idle claimers wait in BZPOPMIN) and a subscriber (final-result wake-ups).
 * With `cluster` the main connection is an ioredis Cluster, and `withPrefix` gives each shard of a
 * sharded app (cluster/) its own key prefix over that one client.
 * Checks the server at start; after that, a dropped connection reconnects with backoff and the
 * commands in flight are resent (scripts that must not run twice answer a resend from their reply
 * cache, see lua/lib.lua). With Sentinel every connection asks the sentinels for the primary and
 * follows it after a failover (sentinel.ts); with wait_replicas a state change counts as done only
 * once that many replicas hold it, so a failover cannot take back a change a caller was told of.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { BackendError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { maskUrl, reconnectDelayMs } from '../common/connection-utils.js';
import type { RedisClient } from './client.js';
import { Keys } from './keys.js';
import { persistenceCheck } from './persistence.js';
import { defineScripts, type ScriptName } from './scripts.js';
import { redisWhere, sentinelOptions, type SentinelSettings } from './sentinel.js';

export type { RedisClient } from './client.js';

interface RedisConnOptions {
  url: string;
  /** Ask these sentinels for the primary (url then gives only password, database and TLS). */
  sentinel?: SentinelSettings;
  /** WAIT for this many replicas after each state change (0: do not wait). */
  waitReplicas?: number;
  waitTimeoutMs?: number;
  /** Redis Cluster seed node URLs: the main connection is then a Cluster (url is not used). */
  cluster?: string[];
  prefix: string;
  allowEviction: boolean;
  /** Skip the start-up warning about a Redis without AOF or RDB snapshots. */
  allowNoPersistence?: boolean;
  logger: Logger;
}

/** Client names show in CLIENT LIST as taskapp:<prefix>:<role> (an operator can find and kill them). */
function clientName(prefix: string, role: string): string {
  return `taskapp:${prefix}${role}`.replace(/[^\w:{}|.-]/g, '_');
}

const opToken = randomUUID().slice(0, 12);
let opCounter = 0;

/** Scripts that only read: no WAIT after them. */
const READ_ONLY: ReadonlySet<ScriptName> = new Set([
  'get_many',
  'list',
  'count_by_status',
  'owned',
  'queued',
  'get_final',
  'history',
]);

/** A state change that fewer replicas than wait_replicas confirmed: redone by `retrying`. */
const NOT_REPLICATED = 'NOTREPLICATED';

/** A demoted primary answers writes with READONLY: reconnect (through the sentinels) and resend. */
const reconnectOnError = (err: Error): 2 | false => (/^READONLY\b/.test(err.message) ? 2 : false);

export class RedisConn {
  readonly keys: Keys;
  readonly scripts: ReturnType<typeof defineScripts>;
  readonly url: string;
  private extra: RedisClient[] = [];
  private closing = false;
  /** Bumped on each (re)connect of main: a WAIT confirms only writes answered on its connection. */
  private epoch = 0;
  /** The WAIT on the wire, and the one to send when it answers (shared by writes answered meanwhile). */
  private waitSent?: Promise<{ replicas: number; epoch: number }>;
  private waitNext?: Promise<{ replicas: number; epoch: number }>;

  private constructor(
    readonly main: RedisClient,
    private readonly opts: RedisConnOptions,
    /** False for a `withPrefix` view: closing it leaves the shared main connection open. */
    private readonly ownsMain = true,
  ) {
    this.keys = new Keys(opts.prefix);
    this.url = opts.cluster
      ? opts.cluster.map(maskUrl).join(',')
      : redisWhere(opts.url, opts.sentinel);
    this.scripts = defineScripts(main);
    main.on('ready', () => this.epoch++);
  }

  get isCluster(): boolean {
    return this.main instanceof Cluster;
  }

  /** The same connection under another key prefix (a shard of a sharded app, cluster/). */
  withPrefix(prefix: string): RedisConn {
    return new RedisConn(this.main, { ...this.opts, prefix }, false);
  }

  get logger(): Logger {
    return this.opts.logger;
  }
  get isClosing(): boolean {
    return this.closing;
  }

  static async open(opts: RedisConnOptions): Promise<RedisConn> {
    let ready = false;
    let lastError: Error | undefined;
    const where = opts.cluster
      ? `cluster ${opts.cluster.map(maskUrl).join(', ')}`
      : redisWhere(opts.url, opts.sentinel);
    // Before the first successful connect, fail at once: start-up reports the problem.
    const retry = (attempt: number) => (ready ? reconnectDelayMs(attempt) : null);
    const main: RedisClient = opts.cluster
      ? new Cluster(opts.cluster, {
          ...clusterOptions(opts.cluster[0]!, clientName(opts.prefix, 'main')),
          lazyConnect: true,
          clusterRetryStrategy: retry,
        })
      : new Redis(opts.url, {
          ...baseOptions(clientName(opts.prefix, 'main')),
          ...(opts.sentinel ? sentinelOptions(opts.sentinel, () => ready) : {}),
          lazyConnect: true,
          retryStrategy: retry,
        });
    main.on('error', (err: Error) => {
      lastError = err;
    });
    try {
      await main.connect();
      ready = true;
    } catch (err) {
      main.disconnect();
      const cause = lastError ?? (err as Error);
      throw new BackendError(
        `cannot connect to Redis at ${where} (${cause.message})`,
        opts.cluster
          ? 'check that the Redis Cluster is up (CLUSTER INFO says cluster_state:ok) and that redis.cluster lists reachable nodes with the right host, port, password and TLS scheme (rediss://)'
          : opts.sentinel
            ? 'check that the sentinels are running and reachable from this host (redis.sentinels, env TASKAPP__REDIS__SENTINELS), that they monitor redis.sentinel_name (SENTINEL MASTERS lists it), that redis.sentinel_password matches their requirepass, and that redis.url has the password of the data servers'
            : 'check that Redis is running and reachable from this host, and that redis.url (env TASKAPP__REDIS__URL) has the right host, port, password and TLS scheme (rediss://)',
        cause,
      );
    }
    const conn = new RedisConn(main, opts);
    conn.watch(main, 'main');
    try {
      // Every master of a cluster holds some of the app's keys: each is checked.
      const servers = main instanceof Cluster ? main.nodes('master') : [main];
      for (const server of servers) {
        const url =
          main instanceof Cluster ? `${server.options.host}:${server.options.port}` : conn.url;
        await conn.checkEvictionPolicy(server, url);
        await persistenceCheck.check(server, {
          url,
          logger: opts.logger,
          allowNoPersistence: opts.allowNoPersistence ?? false,
        });
      }
    } catch (err) {
      main.disconnect();
      throw err;
    }
    return conn;
  }

  /** Redis may drop keys under memory pressure unless maxmemory-policy is noeviction: work would vanish. */
  private async checkEvictionPolicy(server: Redis, url: string): Promise<void> {
    let policy: string | undefined;
    try {
      policy = ((await server.config('GET', 'maxmemory-policy')) as string[])[1];
    } catch {
      // CONFIG may be disabled (managed Redis): INFO tells the same.
      const info = await server.info('memory');
      policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    }
    if (policy === undefined || policy === 'noeviction' || this.opts.allowEviction) {
      if (policy !== undefined && policy !== 'noeviction') {
        this.logger.warn(
          'redis maxmemory-policy is not noeviction: under memory pressure Redis may delete queued or running work',
          { url, policy },
        );
      }
      return;
    }
    throw new BackendError(
      `Redis at ${url} has maxmemory-policy "${policy}": under memory pressure it would delete taskapp's keys and lose work`,
      'set `maxmemory-policy noeviction` on the server (CONFIG SET maxmemory-policy noeviction, and in redis.conf), or accept the risk with redis.allow_eviction = true (env TASKAPP__REDIS__ALLOW_EVICTION=true)',
    );
  }

  /** Logs reconnects so an operator sees them. */
  private watch(r: RedisClient, role: string): void {
    let lost = false;
    r.on('error', (err: Error) =>
      this.logger.debug('redis connection error', { role, url: this.url, error: err.message }),
    );
    r.on('reconnecting', (delayMs: number) => {
      if (this.closing) {
        return;
      }
      lost = true;
      this.logger.warn('redis connection lost, reconnecting', { role, url: this.url, delayMs });
    });
    r.on('ready', () => {
      if (!lost) {
        return;
      }
      lost = false;
      this.logger.info('redis reconnected', { role, url: this.url });
    });
  }

  /** A further connection (blocking waits, pub/sub), closed with this one. */
  duplicate(role: string, extra: RedisOptions = {}): RedisClient {
    const name = clientName(this.opts.prefix, role);
    const r =
      this.main instanceof Cluster
        ? this.main.duplicate(undefined, {
            ...clusterOptions(this.opts.cluster![0]!, name, extra),
            lazyConnect: false,
            clusterRetryStrategy: (attempt: number) => reconnectDelayMs(attempt),
          })
        : this.main.duplicate({
            ...baseOptions(name),
            lazyConnect: false,
            retryStrategy: (attempt) => reconnectDelayMs(attempt),
            ...extra,
          });
    this.watch(r, role);
    this.extra.push(r);
    return r;
  }

  /** Runs a script that must not run twice: its reply is cached under a fresh op id. */
  guarded(name: ScriptName, args: Array<string | number | Buffer>): Promise<unknown> {
    const key = this.keys.op(
      `${opToken}:${(opCounter = (opCounter + 1) % Number.MAX_SAFE_INTEGER)}`,
    );
    return this.retrying(() =>
      this.replicated(name, () => this.scripts[name](key, this.keys.prefix, ...args)),
    );
  }

  /** Runs a script whose second run is harmless. */
  script(name: ScriptName, args: Array<string | number | Buffer>): Promise<unknown> {
    return this.retrying(() =>
      this.replicated(name, () => this.scripts[name](this.keys.slot, this.keys.prefix, ...args)),
    );
  }

  /**
   * With wait_replicas, a script that changed state answers only once that many replicas hold the
   * change (WAIT on the same connection). Otherwise it fails as NOTREPLICATED and `retrying` runs it
   * again: a guarded script answers from its reply cache if the change survived, and runs afresh on
   * a new primary that never saw it.
   */
  private async replicated(name: ScriptName, run: () => Promise<unknown>): Promise<unknown> {
    const want = this.opts.waitReplicas ?? 0;
    const reply = await run();
    if (want === 0 || READ_ONLY.has(name)) {
      return reply;
    }
    const epoch = this.epoch;
    const got = await this.waitForReplicas(want);
    if (got.epoch !== epoch || got.replicas < want) {
      throw new Error(
        `${NOT_REPLICATED} a change on Redis at ${this.url} reached ${got.epoch !== epoch ? 'a connection since replaced' : `${got.replicas} of the ${want} replicas redis.wait_replicas asks for`} within ${this.opts.waitTimeoutMs ?? 1000} ms; check the replicas (INFO replication), or lower redis.wait_replicas`,
      );
    }
    return reply;
  }

  /**
   * A WAIT covers every write its connection sent before it, so writes answered while one WAIT is
   * on the wire share the next one instead of each sending its own.
   */
  private waitForReplicas(want: number): Promise<{ replicas: number; epoch: number }> {
    if (this.waitNext) {
      return this.waitNext;
    }
    const send = () => {
      const sent = this.main
        .wait(want, this.opts.waitTimeoutMs ?? 1000)
        .then((replicas) => ({ replicas, epoch: this.epoch }));
      this.waitSent = sent;
      const clear = () => {
        if (this.waitSent === sent) {
          this.waitSent = undefined;
        }
      };
      sent.then(clear, clear);
      return sent;
    };
    if (!this.waitSent) {
      return send();
    }
    const next = this.waitSent
      .catch(() => undefined)
      .then(() => {
        this.waitNext = undefined;
        return send();
      });
    this.waitNext = next;
    return next;
  }

  /**
   * ioredis queues commands while it reconnects and resends those in flight; what still fails is a
   * server busy loading its data after a restart, or a pipeline cut in half. Those are retried.
   */
  async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const msg = (err as Error).message ?? '';
        const transient =
          /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOTREPLICATED)\b|Pipeline aborted|Connection is closed|ECONNRESET|EPIPE/.test(
            msg,
          );
        if (!transient || this.closing || attempt >= 30) {
          throw err;
        }
        await new Promise((r) => setTimeout(r, reconnectDelayMs(attempt)));
      }
    }
  }

  async close(): Promise<void> {
    if (this.closing) {
      return;
    }
    this.closing = true;
    for (const r of this.extra) {
      r.disconnect();
    }
    if (this.ownsMain) {
      await this.main.quit().catch(() => {});
      // QUIT leaves the failover detector's sentinel connections open: disconnect() closes them.
      this.main.disconnect();
    }
  }
}

function baseOptions(connectionName: string): RedisOptions {
  return {
    connectionName,
    // Wait for the reconnect instead of failing commands: a runner rides out a restart.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    connectTimeout: 5000,
    reconnectOnError,
  };
}

/**
 * A Cluster's options: each node connection as a single server's (baseOptions), with the first
 * seed URL's credentials and TLS, since the nodes it discovers are named by address only.
 */
function clusterOptions(
  seedUrl: string,
  connectionName: string,
  extra: RedisOptions = {},
): ClusterOptions {
  const u = new URL(seedUrl);
  return {
    redisOptions: {
      ...baseOptions(connectionName),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      ...extra,
    },
    enableOfflineQueue: true,
    // Writes and reads go to masters: a replica may not have the latest status yet.
    scaleReads: 'master',
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
  };
}
