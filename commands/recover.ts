import { BaseCommand } from '../src/cli/base-command.js';
import { recoverOnce, recoveryCapOf, type RecoveryReport } from '../src/runtime/recovery.js';
import { newRunnerId } from '../src/core/ids.js';
import { runtimeOf } from '../src/runtime/runtime.js';

export default class Recover extends BaseCommand<typeof Recover> {
  static summary =
    'Run one recovery pass now: reroute work of dead runners and work stuck in PENDING, and requeue waiting work with no queue entry.';
  static description = `Runners heartbeat every runner.heartbeat_interval_seconds. Work held (RUNNING, PAUSED, RESUMED) by a runner silent for runner.runner_dead_after_seconds goes RUNNING_RECOVERY -> REROUTED -> queue; PENDING work older than runner.max_pending_seconds (or held by a dead runner) goes PENDING_RECOVERY -> REROUTED -> queue. Held work already recovered runner.max_recoveries times goes RUNNING_RECOVERY -> FAILED (RecoveryLimitError) instead of running again. Work waiting (REGISTERED, REROUTED, RETRY) for runner.stranded_after_seconds with no queue entry (its writer died between its status write and its queue write) is routed again. Running runners do this on their own; this command does it once, now.`;
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    'TASKAPP__RUNNER__RUNNER_DEAD_AFTER_SECONDS=1 <%= config.bin %> <%= command.id %> --json',
  ];
  static enableJsonFlag = true;

  async run(): Promise<RecoveryReport> {
    const app = await this.app({ requireTasks: false });
    const report = await recoverOnce(
      await runtimeOf(app).backends(),
      app.config.runner,
      newRunnerId('recover-command'),
      Date.now(),
      { cap: recoveryCapOf(runtimeOf(app)) },
    );
    const s = this.style;
    const n = report.running.length + report.pending.length + report.stranded.length;
    this.out(
      `${report.deadRunners.length} dead runner(s)${report.deadRunners.length ? `: ${report.deadRunners.join(', ')}` : ''}`,
    );
    this.out(
      `${report.running.length} running invocation(s) rerouted${report.running.length ? `: ${report.running.join(', ')}` : ''}`,
    );
    this.out(
      `${report.pending.length} pending invocation(s) rerouted${report.pending.length ? `: ${report.pending.join(', ')}` : ''}`,
    );
    if (report.failed.length) {
      this.out(
        s(
          'yellow',
          `${report.failed.length} invocation(s) recovered runner.max_recoveries times already, now FAILED (RecoveryLimitError): ${report.failed.join(', ')}`,
        ),
      );
    }
    this.out(
      `${report.stranded.length} stranded invocation(s) requeued${report.stranded.length ? `: ${report.stranded.join(', ')}` : ''}`,
    );
    this.out(
      n
        ? s('green', `moved ${n} invocation(s) back to the queue`)
        : s('gray', 'nothing to recover'),
    );
    return report;
  }
}
