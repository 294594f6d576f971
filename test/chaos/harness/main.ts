/**
 * `npm run chaos -- --backend sqlite|redis|postgres --runner KIND --minutes M --seed S
 *  [--faults kill-runner,kill-child,restart-server,drop-connections,block-loop]`
 * Prints a report (and --json, one JSON line); exits 1 on any lost invocation or silent duplicate.
 */
import { parseArgs } from 'node:util';
import {
  FAULTS,
  RUNNER_KINDS,
  runChaos,
  type ChaosBackend,
  type Fault,
  type RunnerKind,
} from './run.js';

const USAGE = `usage: npm run chaos -- --backend sqlite|redis|postgres [--runner ${RUNNER_KINDS.join('|')}]
  [--minutes M (default 1)] [--seed S (default: time)] [--faults ${FAULTS.join(',')} (default: all)]
  [--runners N (default 3)] [--rate CALLS_PER_S (default 10)] [--drain SECONDS without progress (default 120)] [--json]`;

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function bounded(
  name: string,
  raw: string | undefined,
  fallback: number,
  lo: number,
  hi: number,
): number {
  if (raw === undefined) {
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isFinite(n) || n < lo || n > hi) {
    fail(`--${name} ${JSON.stringify(raw)} must be a number from ${lo} to ${hi}`);
  }
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      backend: { type: 'string' },
      runner: { type: 'string', default: 'thread' },
      minutes: { type: 'string' },
      seed: { type: 'string' },
      faults: { type: 'string' },
      runners: { type: 'string' },
      rate: { type: 'string' },
      drain: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (parsed.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const backend = parsed.backend as ChaosBackend;
if (!['sqlite', 'redis', 'postgres'].includes(backend)) {
  fail(`--backend ${JSON.stringify(parsed.backend)} must be sqlite, redis or postgres`);
}
const runner = parsed.runner as RunnerKind;
if (!RUNNER_KINDS.includes(runner)) {
  fail(`--runner ${JSON.stringify(runner)} must be one of ${RUNNER_KINDS.join(', ')}`);
}
const faults = (parsed.faults ?? FAULTS.join(',')).split(',').filter(Boolean) as Fault[];
for (const f of faults) {
  if (!FAULTS.includes(f)) {
    fail(`--faults: unknown fault ${JSON.stringify(f)} (known: ${FAULTS.join(', ')})`);
  }
}
const report = await runChaos({
  backend,
  runner,
  seconds: bounded('minutes', parsed.minutes, 1, 0.1, 24 * 60) * 60,
  seed: bounded('seed', parsed.seed, Date.now() % 1_000_000, 0, 2 ** 32 - 1),
  faults,
  runners: bounded('runners', parsed.runners, 3, 1, 16),
  rate: bounded('rate', parsed.rate, 10, 0.1, 1000),
  drainSeconds: bounded('drain', parsed.drain, 120, 5, 3600),
  log: (line) => process.stderr.write(`chaos: ${line}\n`),
});
if (parsed.json) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  const e = report.extraExecutions;
  process.stdout.write(
    [
      `chaos ${report.backend} / ${report.runner}, seed ${report.seed}, ${report.seconds} s`,
      `faults: ${
        Object.entries(report.faults)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      }`,
      `called ${report.called} (call errors ${report.callErrors}), invocations ${report.invocations}, final ${report.final} (drained in ${report.drainedSeconds} s), lost ${report.lost}`,
      `executions beyond one: after a recovery ${e.afterRecovery}, retries ${e.retries}, silent ${e.silent}`,
      `fault to RUNNING_RECOVERY: n ${report.faultToRecoveryMs.n}, p50 ${report.faultToRecoveryMs.p50 ?? '-'} ms, max ${report.faultToRecoveryMs.max ?? '-'} ms`,
      `statuses: ${JSON.stringify(report.statuses)}`,
      ...(report.lostIds.length ? [`lost: ${report.lostIds.join(' ')}`] : []),
      ...(report.silentIds.length ? [`silent duplicates: ${report.silentIds.join(' ')}`] : []),
      ...[...report.lostDetails, ...report.silentDetails].map(
        (d) => `  ${d.id} ${d.taskId} ran in pids ${d.pids.join(',')}: ${d.history.join(' ')}`,
      ),
      report.ok ? 'OK: nothing lost, no silent duplicate' : 'FAILED',
      '',
    ].join('\n'),
  );
}
process.exit(report.ok ? 0 : 1);
