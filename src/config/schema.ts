/**
 * The one definition of every configuration field: type, default and one line of doc. Field names
 * are snake_case as users write them in taskapp.toml and env vars; `taskapp({...})` in code takes
 * the same fields in camelCase (see toSnakeKeys).
 */
import { z } from 'zod';
import { cronProblem, timeZoneProblem } from './cron.js';
import { DURATION_FIX, parseDuration } from '../core/duration.js';
import { didYouMean } from './did-you-mean.js';
import { parseSentinel } from './sentinel-address.js';
import { MAX_TIMEOUT_MS, MAX_TIMER_MS } from '../core/limits.js';

/** Seconds that become a timer: under setTimeout's limit (a longer one would fire at once). */
const MAX_TIMER_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
/** Children of one runner. */
const MAX_PROCESSES = 1_024;
/** Sizes in bytes: 1 GiB. */
const MAX_BYTES = 1024 ** 3;

/** The backends taskapp ships; any other name is a plugin (registerBackend, or a package). */
export const BUILT_IN_BACKENDS = ['memory', 'sqlite', 'redis', 'postgres', 'rabbitmq'] as const;
/** An npm package name (scoped or not), as `npm install` takes it. */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/**
 * Why `name` cannot name a backend, or undefined: a built-in name, a name given to registerBackend
 * or a backend package's name is fine, but a near miss of a built-in name ("redsi") is a typo, not
 * a package.
 */
export function backendNameProblem(name: string): string | undefined {
  if ((BUILT_IN_BACKENDS as readonly string[]).includes(name)) {
    return undefined;
  }
  const guess = didYouMean(name, [...BUILT_IN_BACKENDS]);
  if (guess) {
    return `"${name}" is not a backend; did you mean "${guess}"? (built-in: ${BUILT_IN_BACKENDS.join(', ')}; any other name is loaded as a backend package)`;
  }
  if (!PACKAGE_NAME.test(name)) {
    return `"${name}" is neither a built-in backend (${BUILT_IN_BACKENDS.join(', ')}) nor a package name; name a built-in, a backend package (taskapp-backend-foo) or a name given to registerBackend`;
  }
  return undefined;
}

const backendName = z.string().superRefine((v, ctx) => {
  const problem = backendNameProblem(v);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
  }
});
export const RUNNERS = ['thread', 'multi-thread', 'process', 'persistent-process'] as const;
const CONCURRENCY_MODES = ['DISABLED', 'TASK', 'ARGUMENTS', 'KEYS'] as const;

/** The longest retention a duration may name: ten years (beyond that, keep forever: leave it unset). */
const MAX_RETENTION_MS = 10 * 365 * 86_400_000;

/** A retention period as users write durations ("7d", "12h"): at least one second, at most ten years. */
const retentionDuration = z.string().superRefine((v, ctx) => {
  const d = parseDuration(v);
  const problem = !d.ok
    ? `is not a duration: ${d.problem}`
    : d.ms < 1000 || d.ms > MAX_RETENTION_MS
      ? 'must be from 1s to 10 years (leave it unset to keep finished invocations)'
      : undefined;
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `"${v}" ${problem}; ${DURATION_FIX}` });
  }
});

/** A duration in seconds that becomes a timer: at most MAX_TIMER_SECONDS (see core/limits.ts). */
const seconds = (d: number, doc: string, max = MAX_TIMER_SECONDS) =>
  z.number().nonnegative().max(max).default(d).describe(doc);

const retryBackoffSchema = z
  .object({
    kind: z
      .enum(['fixed', 'exponential'])
      .default('exponential')
      .describe('fixed: the same delay each retry; exponential: base * 2^(attempt-1)'),
    base_seconds: seconds(0.1, 'delay before the first retry'),
    max_seconds: seconds(60, 'the longest delay between two attempts'),
    jitter: z
      .boolean()
      .default(true)
      .describe('randomise each delay by up to +-50% so retries do not arrive in step'),
  })
  .strict();

/** Task options: [base type, default (undefined: none), doc]. Built twice below: with defaults
 * (the effective options) and all-optional without defaults (overrides from [task_defaults],
 * [tasks.<name>] and env, which must not reset what code set). */
const taskOptionFields = {
  max_retries: [
    z.number().int().nonnegative().max(1_000),
    0,
    'attempts after the first one before FAILED',
  ],
  retry_for: [
    z.array(z.string()),
    [],
    'error class names that are retried (empty: none; ["*"]: any error)',
  ],
  retry_backoff: [retryBackoffSchema, retryBackoffSchema.parse({}), 'delay between attempts'],
  timeout_seconds: [
    z
      .number()
      .positive()
      .max(MAX_TIMEOUT_MS / 1000),
    undefined,
    'an attempt running longer fails with TaskTimeoutError: ctx.signal aborts, and its work is stopped (thread runner: only in a worker thread, see worker_threads)',
  ],
  priority: [z.number().int().min(0).max(9), 5, '0-9, higher runs first'],
  running_concurrency: [
    z.enum(CONCURRENCY_MODES),
    'DISABLED',
    'scope within which at most max_running invocations run at once',
  ],
  registration_concurrency: [
    z.enum(CONCURRENCY_MODES),
    'DISABLED',
    'scope within which a new call reuses an invocation already REGISTERED',
  ],
  key_arguments: [z.array(z.string()), [], 'argument names that form the KEYS scope'],
  reroute_on_concurrency_control: [
    z.boolean(),
    false,
    'a blocked invocation goes back to the queue instead of CONCURRENCY_CONTROLLED_FINAL',
  ],
  on_diff_non_key_args_raise: [
    z.boolean(),
    false,
    'a KEYS match whose other arguments differ throws instead of reusing',
  ],
  max_running: [z.number().int().positive().max(100_000), 1, 'slots per running-concurrency scope'],
  rate_limit: [
    z.string(),
    undefined,
    'at most this many starts per period per scope, e.g. "100/1m"',
  ],
  parallel_batch_size: [
    z.number().int().positive().max(10_000),
    100,
    'invocations enqueued per round trip by parallelize()',
  ],
  force_new_workflow: [
    z.boolean(),
    false,
    "start a child workflow instead of joining the caller's",
  ],
  disable_cache_args: [z.array(z.string()), [], 'arguments never moved to the data store'],
  worker_threads: [
    z.boolean(),
    undefined,
    'thread runner: run on a pool of worker threads (CPU-bound tasks), where a timeout can stop the task; unset: tasks with timeout_seconds run there when a worker can load them, else on the main thread, where a timeout aborts ctx.signal but cannot stop a task that ignores it',
  ],
  cron: [
    z.string().superRefine((v, ctx) => {
      const p = cronProblem(v);
      if (p) {
        ctx.addIssue({ code: 'custom', message: p });
      }
    }),
    undefined,
    'a cron schedule that triggers this task (5 or 6 fields)',
  ],
  timezone: [
    z.string().superRefine((v, ctx) => {
      const p = timeZoneProblem(v);
      if (p) {
        ctx.addIssue({ code: 'custom', message: p });
      }
    }),
    undefined,
    "time zone of the cron schedule (IANA name); default the host's",
  ],
  retention: [
    retentionDuration,
    undefined,
    'finished invocations of this task older than this are deleted by the runners (e.g. "1d"); unset: [retention] finished',
  ],
} as const;
type Fields = typeof taskOptionFields;
type WithDefaults = {
  [K in keyof Fields]: Fields[K][1] extends undefined
    ? z.ZodOptional<Fields[K][0]>
    : z.ZodDefault<Fields[K][0]>;
};
type Optional = { [K in keyof Fields]: z.ZodOptional<Fields[K][0]> };

function buildTaskOptions(withDefaults: boolean) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, [type, def, doc]] of Object.entries(taskOptionFields) as Array<
    [string, readonly [z.ZodType, unknown, string]]
  >) {
    shape[name] = (
      withDefaults && def !== undefined ? (type as z.ZodAny).default(def) : type.optional()
    ).describe(doc);
  }
  return z.object(shape).strict();
}
export const taskOptionsSchema = buildTaskOptions(true) as unknown as z.ZodObject<WithDefaults>;
export const taskOptionsOverrideSchema = buildTaskOptions(
  false,
) as unknown as z.ZodObject<Optional>;
export type TaskOptionsConfig = z.infer<typeof taskOptionsSchema>;

/**
 * TOML cannot hold both `tasks = ["glob"]` and `[tasks.add]` sections, so `tasks` is either the list
 * of module globs or a table: `modules = [...]` plus one section per task. Both normalise to
 * { modules, byTask }.
 */
const perTaskOptions = taskOptionsOverrideSchema;
const tasksSchema = z.union([
  z.array(z.string()).transform((modules) => ({
    modules,
    byTask: {} as Record<string, Partial<TaskOptionsConfig>>,
  })),
  z
    .object({ modules: z.array(z.string()).default([]) })
    .catchall(perTaskOptions)
    .transform(({ modules, ...byTask }) => ({
      modules,
      byTask: byTask as Record<string, Partial<TaskOptionsConfig>>,
    })),
  z.object({ modules: z.array(z.string()), byTask: z.record(z.string(), perTaskOptions) }).strict(),
]);

const MAX_RECOVERIES_RANGE =
  'must be a whole number from 0 to 1000: how often an invocation may be rerun after its runner died (more is a loop, not a recovery)';

const RECONCILE_RANGE =
  'must be a number of seconds from 1 to 3600: how often a runner compares what the backend says it owns with what it runs (shorter is a query storm, longer leaves lost work stuck)';

const runnerSchema = z
  .object({
    kind: z.enum(RUNNERS).default('thread').describe('which runner `taskapp run` starts'),
    concurrency: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(8)
      .describe(
        'invocations run at once per runner (per child for multi-thread and persistent-process)',
      ),
    processes: z
      .number()
      .int()
      .positive()
      .max(MAX_PROCESSES)
      .optional()
      .describe('children of process/persistent-process runners (default: CPU count)'),
    min_processes: z
      .number()
      .int()
      .positive()
      .max(MAX_PROCESSES)
      .default(1)
      .describe('multi-thread: fewest children'),
    max_processes: z
      .number()
      .int()
      .positive()
      .max(MAX_PROCESSES)
      .optional()
      .describe('multi-thread: most children (default: CPU count)'),
    idle_timeout_seconds: seconds(
      30,
      'multi-thread: an idle child above min_processes stops after this long',
    ),
    heartbeat_interval_seconds: z
      .number()
      .positive()
      .max(3_600)
      .default(1)
      .describe('how often a runner says it is alive'),
    runner_dead_after_seconds: z
      .number()
      .positive()
      .max(86_400)
      .default(3)
      .describe('a runner silent this long is dead and its work is recovered'),
    max_pending_seconds: z
      .number()
      .positive()
      .max(86_400)
      .default(60)
      .describe('PENDING longer than this is recovered'),
    stranded_after_seconds: z
      .number()
      .positive()
      .max(86_400)
      .default(30)
      .describe(
        'waiting (REGISTERED, REROUTED, RETRY) this long with no queue entry is routed again by recovery',
      ),
    max_recoveries: z
      .number({ error: MAX_RECOVERIES_RANGE })
      .int({ error: MAX_RECOVERIES_RANGE })
      .min(0, { error: MAX_RECOVERIES_RANGE })
      .max(1000, { error: MAX_RECOVERIES_RANGE })
      .default(3)
      .describe(
        'times one invocation may be rerun after its runner was declared dead; once more and it ends FAILED (RecoveryLimitError)',
      ),
    recovery_check_interval_seconds: z
      .number()
      .positive()
      .max(3_600)
      .default(1)
      .describe('how often one runner checks for work to recover'),
    reconcile_interval_seconds: z
      .number({ error: RECONCILE_RANGE })
      .min(1, { error: RECONCILE_RANGE })
      .max(3600, { error: RECONCILE_RANGE })
      .default(10)
      .describe(
        'how often each runner asks the backend what it owns and reruns what it is not running (a write lost in a failover or restore)',
      ),
    shutdown_grace_seconds: seconds(
      10,
      'on SIGTERM, how long work in flight may finish before it is rerouted',
    ),
    claim_batch_size: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(100)
      .describe('most invocations claimed per broker round trip'),
    prefetch: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(0)
      .describe(
        'invocations a runner claims ahead of its free slots, to claim and write in larger batches (short tasks); they are RUNNING on it while they wait, and go back to the queue at stop',
      ),
    health_port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .optional()
      .describe(
        '`taskapp run` serves GET /healthz (alive) and GET /readyz (ready for work) on this port; 0 picks a free one',
      ),
  })
  .strict();

const sqliteSchema = z
  .object({
    path: z
      .string()
      .default('.taskapp/taskapp.db')
      .describe('database file, relative to the config file'),
    poll_interval_ms: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(50)
      .describe('how often a process checks for work written by another process'),
    busy_timeout_ms: z
      .number()
      .int()
      .nonnegative()
      .max(600_000)
      .default(5000)
      .describe("how long a write waits for another process's lock before failing"),
  })
  .strict();

/**
 * A connection URL whose scheme is one of `schemes`: an http:// or scheme-less URL would otherwise
 * fail only when the backend connects, with a confusing ENOENT or ENOTFOUND.
 */
function urlWithScheme(schemes: string[], example: string) {
  return z.string().superRefine((v, ctx) => {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]?.toLowerCase();
    if (scheme === undefined || !schemes.includes(scheme)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a ${schemes.map((x) => `${x}://`).join(' or ')} URL${scheme ? ` (its scheme is ${scheme}://)` : ' (it has no scheme)'}; e.g. "${example}"`,
      });
    }
  });
}

/** A sentinel as "host:port" or a redis:// URL (for its own user and password). */
const sentinelAddress = z.string().superRefine((v, ctx) => {
  if (parseSentinel(v) === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a sentinel address: write "host:port" (port 1-65535) or "redis://[user:password@]host:port", e.g. "127.0.0.1:26379"`,
    });
  }
});

/** Each shard holds a blocking connection per claiming process: a bound keeps that countable. */
export const MAX_REDIS_SHARDS = 256;

const redisSchema = z
  .object({
    url: urlWithScheme(['redis', 'rediss'], 'redis://127.0.0.1:6379')
      .default('redis://127.0.0.1:6379')
      .describe('redis:// or rediss:// URL'),
    prefix: z
      .string()
      .optional()
      .describe(
        'key prefix (default: taskapp:{<app_id>}:); a {<app_id>} hash tag is appended unless the prefix has one, so a Redis Cluster keeps an app on one slot',
      ),
    cluster: z
      .array(urlWithScheme(['redis', 'rediss'], 'redis://127.0.0.1:7001'))
      .min(1)
      .optional()
      .describe(
        'Redis Cluster seed nodes (e.g. ["redis://127.0.0.1:7001", "redis://127.0.0.1:7002"]); when set, url is not used and an app spreads over `shards` hash slots',
      ),
    shards: z
      .number()
      .int()
      .min(1)
      .max(MAX_REDIS_SHARDS)
      .default(12)
      .describe(
        `with cluster: how many hash-tagged shards (each its own slot) an app's invocations spread over, 1 to ${MAX_REDIS_SHARDS}; keep it a multiple of the masters, and never change it while invocations are unfinished (an id's shard is its placement modulo shards)`,
      ),
    allow_eviction: z
      .boolean()
      .default(false)
      .describe('start even if maxmemory-policy is not noeviction (can lose work)'),
    allow_no_persistence: z
      .boolean()
      .default(false)
      .describe(
        'do not warn at start when Redis has neither AOF nor RDB snapshots (a Redis restart then loses every invocation)',
      ),
    sentinels: z
      .array(sentinelAddress)
      .max(32)
      .default([])
      .describe(
        'Redis Sentinel addresses, "host:port" or "redis://[user:password@]host:port" (empty: no Sentinel, connect to url); with sentinels, the primary is asked of them and followed after a failover, and url gives only the password, database and TLS of the data servers',
      ),
    sentinel_name: z
      .string()
      .regex(
        /^[\w.:-]{1,128}$/,
        'must be 1-128 letters, digits or _ . : - (the name in `sentinel monitor <name> ...`)',
      )
      .optional()
      .describe(
        'the primary group the sentinels monitor (`sentinel monitor <name> ...`); required with sentinels',
      ),
    sentinel_password: z
      .string()
      .optional()
      .describe(
        'password of the sentinels themselves (requirepass in sentinel.conf), if they have one (or in the sentinel URLs, not both)',
      ),
    wait_replicas: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(0)
      .describe(
        'after each state change, WAIT until this many replicas hold it, and redo it (safely) when they do not; set it to the number of replicas (any of them may be promoted) and a failover loses no acknowledged change (0-16; 0: off; costs one replica round trip per batch of changes)',
      ),
    wait_timeout_ms: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(1000)
      .describe(
        'how long (10-60000 ms) one WAIT for wait_replicas may block before the change is redone',
      ),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.sentinels.length > 0 && r.sentinel_name === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sentinel_name'],
        message:
          'is required with redis.sentinels: set it to the name the sentinels monitor (`sentinel monitor <name> <host> <port> <quorum>` in sentinel.conf; `SENTINEL MASTERS` lists it)',
      });
    }
    const addrs = r.sentinels.map((v) => parseSentinel(v));
    const users = new Set(addrs.map((a) => a?.username).filter((x) => x !== undefined));
    const passwords = new Set(addrs.map((a) => a?.password).filter((x) => x !== undefined));
    if (
      users.size > 1 ||
      passwords.size > 1 ||
      (passwords.size && r.sentinel_password !== undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['sentinels'],
        message:
          'gives the sentinels more than one user or password (in their URLs and redis.sentinel_password): every sentinel is asked with the same ones, so set the password once, in redis.sentinel_password, and the same user (if any) in each URL',
      });
    }
    if (r.sentinels.length === 0 && r.sentinel_name !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sentinels'],
        message:
          'is empty while redis.sentinel_name is set: list the sentinels, e.g. sentinels = ["10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"], or remove sentinel_name',
      });
    }
    // A cluster fails over by itself, and WAIT on a Cluster client reaches one arbitrary master.
    if (r.cluster !== undefined && r.sentinels.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['sentinels'],
        message:
          'is set together with redis.cluster: a Redis Cluster promotes its own replicas and needs no sentinels; keep one of the two',
      });
    }
    if (r.cluster !== undefined && r.wait_replicas > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['wait_replicas'],
        message: `is ${r.wait_replicas} with redis.cluster: WAIT is not supported on a cluster here; set it to 0 or use one primary with Sentinel`,
      });
    }
  });

const postgresSchema = z
  .object({
    url: urlWithScheme(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/postgres')
      .default('postgres://postgres@127.0.0.1:5432/postgres')
      .describe('postgres:// connection URL'),
    schema: z.string().default('taskapp').describe("PostgreSQL schema holding taskapp's tables"),
    pool_size: z
      .number()
      .int()
      .positive()
      .max(1_000)
      .default(10)
      .describe('connections per process'),
  })
  .strict();

const rabbitmqSchema = z
  .object({
    url: z.string().default('amqp://guest:guest@127.0.0.1:5672').describe('amqp:// URL'),
    queue: z.string().optional().describe('queue name (default: taskapp.<app_id>)'),
  })
  .strict();

const dataStoreSchema = z
  .object({
    min_size_to_cache: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_BYTES)
      .default(1024)
      .describe('serialized arguments at least this big are stored once by content hash'),
    max_size_to_cache: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_BYTES)
      .default(0)
      .describe('larger arguments stay inline (0: no limit)'),
    warn_threshold: z
      .number()
      .int()
      .nonnegative()
      .max(MAX_BYTES)
      .default(10 * 1024 * 1024)
      .describe('log a warning for arguments larger than this'),
    local_cache_size: z
      .number()
      .int()
      .nonnegative()
      .max(1_000_000)
      .default(1024)
      .describe("blobs kept in each process's LRU cache"),
  })
  .strict();

const triggersSchema = z
  .object({
    catch_up_seconds: seconds(
      0,
      'a cron slot missed while no runner was alive fires once on start if this recent',
      366 * 86_400,
    ),
    event_retention_days: z
      .number()
      .positive()
      .max(3_650)
      .default(7)
      .describe('how long emitted events are kept'),
    check_interval_ms: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(250)
      .describe('how often the trigger loop looks for due cron slots'),
  })
  .strict();

const retentionSchema = z
  .object({
    finished: retentionDuration
      .optional()
      .describe(
        'runners delete finished invocations (SUCCESS, FAILED, CONCURRENCY_CONTROLLED_FINAL) older than this, e.g. "7d", with their history, logs and unreferenced argument blobs; unset: kept until `taskapp purge`',
      ),
    batch_size: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe('most invocations deleted per statement'),
    batch_pause_ms: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(100)
      .describe('pause between two batches, so deletes never crowd out task work'),
    check_interval_seconds: z
      .number()
      .min(1)
      .max(86_400)
      .default(60)
      .describe('how often one runner (a lease) looks for expired invocations'),
  })
  .strict();

const outboxSchema = z
  .object({
    url: urlWithScheme(['postgres', 'postgresql'], 'postgres://app@db:5432/shop')
      .optional()
      .describe(
        'PostgreSQL database holding the outbox table (your app database): app.outbox(client) writes calls there in your transaction, and runners relay them to the backend exactly once; unset: no outbox',
      ),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,49}$/, 'lower-case letters, digits and underscores')
      .default('taskapp_outbox')
      .describe('schema of the outbox table in that database (created on first use)'),
    batch_size: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(200)
      .describe('most outbox rows one relay step moves'),
    poll_interval_ms: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(1000)
      .describe(
        'how often the relay looks when no NOTIFY woke it (it listens for commits of outbox rows)',
      ),
  })
  .strict();

const monitorSchema = z
  .object({
    metrics_port: z
      .number()
      .int()
      .nonnegative()
      .max(65_535)
      .optional()
      .describe('serve Prometheus /metrics on this port from each runner'),
    keep_logs: z
      .boolean()
      .default(false)
      .describe('store task log lines in the state backend for the monitor'),
    log_format: z.enum(['text', 'json']).default('text').describe('task log line format'),
    progress_interval_ms: z
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(1000)
      .describe(
        'ctx.progress writes at most once per this many ms per invocation (the last value is always written)',
      ),
  })
  .strict();

export const configSchema = z
  .object({
    app_id: z
      .string()
      .min(1)
      .default('taskapp')
      .describe('names the app; backends keep apps apart by it'),
    tasks: tasksSchema
      .default({ modules: [], byTask: {} })
      .describe(
        'task module globs (tasks = [...]), or a table with `modules` and one [tasks.<name>] section of options per task',
      ),
    backend: backendName
      .default('sqlite')
      .describe(
        'the backend for every role not set on its own: memory, sqlite, redis, postgres, or a backend package name (docs/backends.md)',
      ),
    broker: backendName
      .optional()
      .describe('broker backend (default: backend); also rabbitmq, which serves this role only'),
    state_backend: backendName.optional().describe('state backend (default: backend)'),
    orchestrator: backendName.optional().describe('orchestrator backend (default: backend)'),
    trigger_store: backendName.optional().describe('trigger store backend (default: backend)'),
    data_store_backend: backendName.optional().describe('data store backend (default: backend)'),
    plugins: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .default({})
      .describe(
        'options for backend plugins, a table per backend name, handed to its create() (docs/backends.md)',
      ),
    serializer: z.enum(['json']).default('json').describe('argument/result serializer'),
    dev_mode_force_sync: z
      .boolean()
      .default(false)
      .describe('run tasks inline at call(), no runner (unit tests of task logic)'),
    call_timeout_seconds: z
      .number()
      .positive()
      .max(3600)
      .default(20)
      .describe(
        'call()/parallelize() fail with CALL_TIMEOUT, naming the server, when it does not answer within this long (a runner rides out outages; a producer does not hang)',
      ),
    logging_level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('log level'),
    determinism: z
      .enum(['warn', 'strict'])
      .default('warn')
      .describe('workflow tasks calling Math.random/Date.now directly: warn or fail'),
    sqlite: sqliteSchema.default(sqliteSchema.parse({})),
    redis: redisSchema.default(redisSchema.parse({})),
    postgres: postgresSchema.default(postgresSchema.parse({})),
    rabbitmq: rabbitmqSchema.default(rabbitmqSchema.parse({})),
    runner: runnerSchema.default(runnerSchema.parse({})),
    task_defaults: taskOptionsOverrideSchema
      .default({})
      .describe('options for every task, below what code and [tasks.<name>] set'),
    data_store: dataStoreSchema.default(dataStoreSchema.parse({})),
    triggers: triggersSchema.default(triggersSchema.parse({})),
    monitor: monitorSchema.default(monitorSchema.parse({})),
    retention: retentionSchema.default(retentionSchema.parse({})),
    outbox: outboxSchema.default(outboxSchema.parse({})),
  })
  .strict();

export type TaskappConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** `app_id` -> `appId`, as a type (the inverse of camelToSnake). */
export type SnakeToCamel<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<SnakeToCamel<Tail>>}`
  : S;

/** A config value with every key camelCased, deeply (arrays and their items as they are). */
export type CamelKeys<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T as K extends string ? SnakeToCamel<K> : K]: CamelKeys<T[K]> }
    : T;

/** One task's options under `tasks` in code, camelCased. */
type CodeTaskOverrides = CamelKeys<z.input<typeof taskOptionsOverrideSchema>>;

/** `tasks` in code: the module globs, or `{ modules, <task name>: options }` (names as written). */
type CodeTasks =
  string[] | { modules?: string[]; [taskName: string]: CodeTaskOverrides | string[] | undefined };

/**
 * Config as written in code (`taskapp({...})`): the schema's fields in camelCase, all optional. No
 * index signature: a misspelt field fails to compile.
 */
export type CodeConfig = Omit<CamelKeys<ConfigInput>, 'tasks'> & { tasks?: CodeTasks };

export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
export function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
