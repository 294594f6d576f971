/**
 * The flags of `npm run bench` (bench/run.ts): one table gives each flag's kind, default, bounds
 * and help, from which both the parser and `--help` are made. A bad command line is the user's
 * mistake, so it ends in one line naming the flag, the value and the fix (exit 2), never a stack.
 */
import { parseArgs } from 'node:util';

export const BACKENDS = ['memory', 'sqlite', 'redis', 'postgres'] as const;
export const RUNNERS = ['thread', 'multi-thread', 'process', 'persistent-process'] as const;
/** rabbitmq serves the broker role only (src/config/schema.ts). */
const BROKERS = [...BACKENDS, 'rabbitmq'] as const;

type Backend = (typeof BACKENDS)[number];
type RunnerKind = (typeof RUNNERS)[number];

export interface BenchArgs {
  backend: Backend;
  broker?: string;
  runner: RunnerKind;
  tasks: number;
  concurrency: number;
  processes?: number;
  latencySamples: number;
  preload: number;
  runners: number;
  prefetch: number;
  batch: number;
  redisCluster?: string[];
  shards?: number;
  statements: boolean;
  json: boolean;
  help: boolean;
}

type Flag = {
  help: string;
  /** the default, said in words where it is not a value */ defaultText?: string;
} & (
  | { kind: 'int'; arg: string; min: number; max: number; default?: number }
  | { kind: 'choice'; arg: string; choices: readonly string[]; default?: string }
  | { kind: 'urls' }
  | { kind: 'bool'; short?: string }
);

export const FLAGS: Record<string, Flag> = {
  backend: {
    kind: 'choice',
    arg: 'B',
    choices: BACKENDS,
    default: 'sqlite',
    help: 'the backend for every role',
  },
  broker: {
    kind: 'choice',
    arg: 'B',
    choices: BROKERS,
    defaultText: 'the backend',
    help: 'the broker role on another backend',
  },
  runner: {
    kind: 'choice',
    arg: 'R',
    choices: RUNNERS,
    default: 'thread',
    help: 'the runner kind',
  },
  tasks: {
    kind: 'int',
    arg: 'N',
    min: 1,
    max: 10_000_000,
    default: 20_000,
    help: 'N: no-op tasks enqueued in bulk, then processed',
  },
  concurrency: {
    kind: 'int',
    arg: 'C',
    min: 1,
    max: 10_000,
    default: 50,
    help: 'C: tasks run at once, per runner process with --runners',
  },
  processes: {
    kind: 'int',
    arg: 'P',
    min: 1,
    max: 64,
    defaultText: 'CPU count',
    help: 'children of a process runner',
  },
  'latency-samples': {
    kind: 'int',
    arg: 'L',
    min: 0,
    max: 100_000,
    default: 200,
    help: 'L: sequential round trips (call, then result) after the run; 0 for none',
  },
  preload: {
    kind: 'int',
    arg: 'P',
    min: 0,
    max: 10_000_000,
    default: 0,
    help: 'finished invocations stored before the run, on sqlite or postgres',
  },
  runners: {
    kind: 'int',
    arg: 'K',
    min: 0,
    max: 64,
    default: 0,
    help: 'runner processes to run the tasks in; 0: in the bench process',
  },
  prefetch: {
    kind: 'int',
    arg: 'F',
    min: 0,
    max: 10_000,
    default: 0,
    help: 'invocations each runner claims ahead of its free slots ([runner] prefetch)',
  },
  batch: {
    kind: 'int',
    arg: 'B',
    min: 1,
    max: 10_000,
    default: 100,
    help: 'invocations enqueued per round trip (parallel_batch_size)',
  },
  'redis-cluster': {
    kind: 'urls',
    help: "a Redis Cluster's master URLs, comma-separated, with --backend redis",
  },
  shards: {
    kind: 'int',
    arg: 'S',
    min: 1,
    max: 256,
    help: 'shards on the cluster, with --redis-cluster',
  },
  statements: {
    kind: 'bool',
    help: 'postgres: server time, blocks and WAL per invocation of each statement (pg_stat_statements; resets its counters: use a private server)',
  },
  json: { kind: 'bool', help: 'print one JSON line instead of a table' },
  help: { kind: 'bool', short: 'h', help: 'print this and exit' },
};

const HELP_HINT = 'npm run bench -- --help';

/** A bad command line: `message` is the one line printed; flag, value and fix are its parts. */
export class BenchArgError extends Error {
  readonly code = 'BENCH_ARGS';
  readonly exitCode = 2;
  constructor(
    readonly flag: string,
    readonly value: string | undefined,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(
      `bench: ${value === undefined ? flag : `${flag} ${JSON.stringify(value)}`}: ${problem}. Fix: ${fix}`,
    );
    this.name = 'BenchArgError';
  }
}

/** The command line (without node and the script) as BenchArgs; throws a BenchArgError. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { tokens } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(
      Object.entries(FLAGS).map(([name, f]) => [
        name,
        f.kind === 'bool'
          ? { type: 'boolean' as const, ...(f.short ? { short: f.short } : {}) }
          : { type: 'string' as const },
      ]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const given = new Map<string, string | true>();
  for (const [i, t] of tokens.entries()) {
    if (t.kind === 'positional') {
      throw new BenchArgError(
        t.value,
        undefined,
        'not a flag',
        `flags take the form --name value (${HELP_HINT})`,
      );
    }
    if (t.kind === 'option-terminator') {
      continue;
    }
    const flag = Object.hasOwn(FLAGS, t.name) ? FLAGS[t.name] : undefined;
    if (!flag) {
      const near = nearestFlag(t.name);
      const next = tokens[i + 1];
      throw new BenchArgError(
        t.rawName,
        t.value ?? (next?.kind === 'positional' ? next.value : undefined),
        'unknown flag',
        near ? `did you mean --${near}? (${HELP_HINT})` : `see ${HELP_HINT}`,
      );
    }
    if (flag.kind === 'bool') {
      if (t.value !== undefined) {
        throw new BenchArgError(t.rawName, t.value, 'takes no value', `${t.rawName} alone`);
      }
      given.set(t.name, true);
    } else if (t.value === undefined || (!t.inlineValue && t.value.startsWith('-'))) {
      throw new BenchArgError(
        t.rawName,
        undefined,
        'needs a value',
        `e.g. ${t.rawName} ${example(t.name, flag)}`,
      );
    } else {
      given.set(t.name, t.value);
    }
  }
  const value = (name: string): number | string | string[] | boolean | undefined => {
    const flag = FLAGS[name]!;
    const raw = given.get(name);
    if (raw === undefined) {
      return flag.kind === 'bool' ? false : 'default' in flag ? flag.default : undefined;
    }
    return checked(name, flag, raw);
  };
  const args = {
    backend: value('backend'),
    broker: value('broker'),
    runner: value('runner'),
    tasks: value('tasks'),
    concurrency: value('concurrency'),
    processes: value('processes'),
    latencySamples: value('latency-samples'),
    preload: value('preload'),
    runners: value('runners'),
    prefetch: value('prefetch'),
    batch: value('batch'),
    redisCluster: value('redis-cluster'),
    shards: value('shards'),
    statements: value('statements'),
    json: value('json'),
    help: value('help'),
  } as BenchArgs;
  checkTogether(args);
  return args;
}

/** One flag's value, converted and within its bounds. */
function checked(name: string, flag: Flag, raw: string | true): number | string | string[] | true {
  const bad = (problem: string) =>
    new BenchArgError(`--${name}`, String(raw), problem, `e.g. --${name} ${example(name, flag)}`);
  switch (flag.kind) {
    case 'bool':
      return true;
    case 'int': {
      const text = String(raw).replaceAll('_', '');
      if (!/^\d+$/.test(text)) {
        throw bad(`not a whole number (${range(flag.min, flag.max)})`);
      }
      const n = Number(text);
      if (n < flag.min || n > flag.max) {
        throw bad(`out of range (${range(flag.min, flag.max)})`);
      }
      return n;
    }
    case 'choice':
      if (!flag.choices.includes(String(raw))) {
        throw bad(`not one of ${flag.choices.join(', ')}`);
      }
      return String(raw);
    case 'urls': {
      const urls = String(raw).split(',').filter(Boolean);
      if (urls.length === 0 || urls.some((u) => !/^rediss?:\/\/[^/\s]+/.test(u))) {
        throw bad('not a comma-separated list of redis:// URLs');
      }
      return urls;
    }
  }
}

/** Combinations that each flag alone allows but the run cannot do. */
function checkTogether(a: BenchArgs): void {
  const conflict = (flag: string, value: string | undefined, problem: string, fix: string) => {
    throw new BenchArgError(flag, value, problem, fix);
  };
  if (a.preload > 0 && a.backend !== 'sqlite' && a.backend !== 'postgres') {
    conflict(
      '--preload',
      String(a.preload),
      `needs --backend sqlite or postgres, not ${a.backend}`,
      'drop --preload or change --backend',
    );
  }
  if (a.backend === 'memory' && (a.runners > 0 || a.runner === 'multi-thread')) {
    const [flag, value] = a.runners > 0 ? ['--runners', String(a.runners)] : ['--runner', a.runner];
    conflict(
      flag,
      value,
      'other processes cannot share the memory backend',
      'use --backend sqlite, redis or postgres',
    );
  }
  if (a.redisCluster && a.backend !== 'redis') {
    conflict(
      '--redis-cluster',
      a.redisCluster.join(','),
      `needs --backend redis, not ${a.backend}`,
      'add --backend redis',
    );
  }
  if (a.shards !== undefined && !a.redisCluster) {
    conflict(
      '--shards',
      String(a.shards),
      'applies to a Redis Cluster only',
      'add --redis-cluster URLS or drop --shards',
    );
  }
  if (a.statements && a.backend !== 'postgres') {
    conflict(
      '--statements',
      undefined,
      `reads PostgreSQL's pg_stat_statements, not ${a.backend}`,
      'add --backend postgres or drop --statements',
    );
  }
  if (a.processes !== undefined && a.runner === 'thread') {
    conflict(
      '--processes',
      String(a.processes),
      'the thread runner has no children',
      'add --runner persistent-process or drop --processes',
    );
  }
}

/** `--help`: every flag with its value, help, default and bounds. */
export function benchUsage(): string {
  const rows = Object.entries(FLAGS).map(([name, f]) => {
    const short = f.kind === 'bool' && f.short ? `, -${f.short}` : '';
    const left = `  --${name}${f.kind === 'bool' ? short : ` ${placeholder(f)}`}`;
    const notes = [
      f.kind === 'choice' ? `one of ${f.choices.join(', ')}` : '',
      f.kind === 'int' ? range(f.min, f.max) : '',
      'default' in f && f.default !== undefined ? `default ${f.default}` : '',
      f.defaultText ? `default: ${f.defaultText}` : '',
    ].filter(Boolean);
    return `${left.padEnd(26)}${f.help}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  });
  return [
    'usage: npm run bench -- [flags]   (node dist/bench/run.js [flags])',
    '',
    'N no-op tasks enqueued in bulk and processed with concurrency C, then L round trips;',
    'prints throughput, latency, memory and CPU per invocation (docs/architecture.md, "Benchmarks").',
    '',
    ...rows,
    '',
    'A bad flag or value prints one line and exits 2.',
  ].join('\n');
}

/** Parses, or prints the usage (exit 0) or the one-line error (exit 2) and exits. */
export function benchArgsOrExit(argv: readonly string[]): BenchArgs {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof BenchArgError) {
      console.error(err.message);
      process.exit(err.exitCode);
    }
    throw err;
  }
  if (args.help) {
    console.log(benchUsage());
    process.exit(0);
  }
  return args;
}

function placeholder(f: Flag): string {
  switch (f.kind) {
    case 'int':
      return f.arg;
    case 'choice':
      return f.arg;
    case 'urls':
      return 'URLS';
    default:
      return '';
  }
}

function example(name: string, f: Flag): string {
  switch (f.kind) {
    case 'int':
      return String(f.default ?? f.min);
    case 'choice':
      return f.default ?? f.choices[0]!;
    case 'urls':
      return 'redis://127.0.0.1:7001,redis://127.0.0.1:7002';
    default:
      return name;
  }
}

const range = (min: number, max: number) =>
  `${min.toLocaleString('en-US')}..${max.toLocaleString('en-US')}`;

/** The known flag within two edits of a mistyped one, if any. */
function nearestFlag(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of Object.keys(FLAGS)) {
    const d = editDistance(name, known);
    if (d < bestDistance) {
      [best, bestDistance] = [known, d];
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(
        Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}
