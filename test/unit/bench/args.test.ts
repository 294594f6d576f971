/**
 * bench/args.ts: the flags of `npm run bench`, parsed as a pure function; a bad command line is a
 * BenchArgError whose one-line message names the flag, the value and the fix.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BenchArgError, benchUsage, FLAGS, parseBenchArgs } from '../../../bench/args.js';

const argError = (argv: string[]): BenchArgError => {
  try {
    parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof BenchArgError) {
      return err;
    }
    throw err;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
};

describe('bench flags', () => {
  it('gives the defaults for an empty command line', () => {
    expect(parseBenchArgs([])).toEqual({
      backend: 'sqlite',
      runner: 'thread',
      tasks: 20_000,
      concurrency: 50,
      latencySamples: 200,
      preload: 0,
      runners: 0,
      prefetch: 0,
      batch: 100,
      statements: false,
      json: false,
      help: false,
    });
  });

  it('reads every flag, as --name value and as --name=value', () => {
    const a = parseBenchArgs([
      '--backend=postgres',
      '--broker',
      'rabbitmq',
      '--runner',
      'persistent-process',
      '--tasks',
      '1_000_000',
      '--concurrency=200',
      '--processes',
      '4',
      '--latency-samples',
      '0',
      '--preload',
      '1000000',
      '--runners',
      '4',
      '--prefetch',
      '500',
      '--batch=1000',
      '--statements',
      '--json',
    ]);
    expect(a).toMatchObject({
      backend: 'postgres',
      broker: 'rabbitmq',
      runner: 'persistent-process',
      tasks: 1_000_000,
      concurrency: 200,
      processes: 4,
      latencySamples: 0,
      preload: 1_000_000,
      runners: 4,
      prefetch: 500,
      batch: 1000,
      statements: true,
      json: true,
    });
    const cluster = parseBenchArgs([
      '--backend',
      'redis',
      '--redis-cluster',
      'redis://127.0.0.1:7001,redis://127.0.0.1:7002',
      '--shards',
      '12',
    ]);
    expect(cluster.redisCluster).toEqual(['redis://127.0.0.1:7001', 'redis://127.0.0.1:7002']);
    expect(cluster.shards).toBe(12);
  });

  it('accepts each bound and refuses one past it', () => {
    for (const [name, flag] of Object.entries(FLAGS)) {
      if (flag.kind !== 'int') {
        continue;
      }
      // The flags some bounds need beside them (a backend that preloads, a cluster for shards).
      const context = [
        '--backend',
        'postgres',
        '--runner',
        'persistent-process',
        ...(name === 'shards'
          ? ['--backend', 'redis', '--redis-cluster', 'redis://127.0.0.1:7001']
          : []),
      ];
      expect(() => parseBenchArgs([...context, `--${name}`, String(flag.min)])).not.toThrow();
      expect(() => parseBenchArgs([...context, `--${name}`, String(flag.max)])).not.toThrow();
      for (const outside of [flag.min - 1, flag.max + 1]) {
        if (outside < 0) {
          continue;
        }
        const err = argError([...context, `--${name}`, String(outside)]);
        expect(err).toMatchObject({ flag: `--${name}`, value: String(outside), exitCode: 2 });
        expect(err.problem).toContain('out of range');
      }
    }
  });

  it('names the flag, the value and the fix in one line', () => {
    const err = argError(['--tasks', '0']);
    expect(err.message).toBe(
      'bench: --tasks "0": out of range (1..10,000,000). Fix: e.g. --tasks 20000',
    );
    expect(err.message).not.toContain('\n');
    expect(err.code).toBe('BENCH_ARGS');
  });

  it.each([
    [['--tasks', 'many'], '--tasks', 'many', 'not a whole number'],
    [['--tasks', '-5'], '--tasks', undefined, 'needs a value'],
    [['--concurrency', '2.5'], '--concurrency', '2.5', 'not a whole number'],
    [['--backend', 'mysql'], '--backend', 'mysql', 'not one of memory, sqlite, redis, postgres'],
    [['--runner', 'fork'], '--runner', 'fork', 'not one of thread, multi-thread'],
    [['--broker', 'kafka'], '--broker', 'kafka', 'not one of'],
    [['--redis-cluster', 'http://h:1'], '--redis-cluster', 'http://h:1', 'redis:// URLs'],
    [['--json=yes'], '--json', 'yes', 'takes no value'],
    [['--tasks'], '--tasks', undefined, 'needs a value'],
    [['--tasks', '--json'], '--tasks', undefined, 'needs a value'],
    [['sqlite'], 'sqlite', undefined, 'not a flag'],
  ])('refuses %j', (argv, flag, value, problem) => {
    const err = argError(argv);
    expect(err.flag).toBe(flag);
    expect(err.value).toBe(value);
    expect(err.problem).toContain(problem);
    expect(err.fix).not.toBe('');
  });

  it('suggests the nearest flag for a mistyped one, with its value', () => {
    const err = argError(['--taks', '5']);
    expect(err).toMatchObject({ flag: '--taks', value: '5', problem: 'unknown flag' });
    expect(err.fix).toContain('did you mean --tasks?');
    expect(argError(['--frobnicate']).fix).toContain('--help');
  });

  it.each([
    [['--backend', 'redis', '--preload', '10'], '--preload', 'sqlite or postgres'],
    [['--backend', 'memory', '--runners', '2'], '--runners', 'memory backend'],
    [['--backend', 'memory', '--runner', 'multi-thread'], '--runner', 'memory backend'],
    [['--redis-cluster', 'redis://h:1'], '--redis-cluster', '--backend redis'],
    [['--shards', '3'], '--shards', 'Redis Cluster'],
    [['--processes', '2'], '--processes', 'no children'],
    [['--backend', 'redis', '--statements'], '--statements', '--backend postgres'],
  ])('refuses the combination %j', (argv, flag, text) => {
    const err = argError(argv);
    expect(err.flag).toBe(flag);
    expect(`${err.problem} ${err.fix}`).toContain(text);
  });

  it('reads --help and -h', () => {
    expect(parseBenchArgs(['--help']).help).toBe(true);
    expect(parseBenchArgs(['-h']).help).toBe(true);
  });
});

describe('bench usage', () => {
  it('lists every flag with its bounds and default', () => {
    const text = benchUsage();
    for (const [name, flag] of Object.entries(FLAGS)) {
      const line = text.split('\n').find((l) => new RegExp(`^  --${name}(,|\\s|$)`).test(l));
      expect(line, name).toBeDefined();
      if (flag.kind === 'int') {
        expect(line).toContain(
          `${flag.min.toLocaleString('en-US')}..${flag.max.toLocaleString('en-US')}`,
        );
      }
      if ('default' in flag && flag.default !== undefined) {
        expect(line).toContain(`default ${flag.default}`);
      }
    }
  });

  it('is what `bench/run.ts --help` prints, with exit 0', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--help'], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe(benchUsage());
  });
});
