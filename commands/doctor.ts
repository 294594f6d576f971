import { BaseCommand } from '../src/cli/base-command.js';
import { formatDoctor, runDoctor } from '../src/cli/doctor.js';

export default class Doctor extends BaseCommand<typeof Doctor> {
  static memoryBackendOk = true;
  static summary =
    'Check a setup before deploying it: config, backend servers, task modules, runners, clock.';
  static description = `Prints one line per check, OK / WARN / FAIL with the fix: the resolved config and where each value came from; each backend server (reachable, version; Redis maxmemory-policy and persistence; PostgreSQL schema version and pending migrations); each task module (imports, one app, unique task names); the runners alive; and this host's clock against the backend server's. Every check runs even after a failure. Exits 1 when any check FAILs.`;
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --json | jq \'.checks[] | select(.level != "OK")\'',
  ];
  static enableJsonFlag = true;

  async run(): Promise<void> {
    const checks = await runDoctor({
      configFile: this.flags.config,
      flags: this.configFlags(),
    });
    const failed = checks.some((c) => c.level === 'FAIL');
    if (this.jsonEnabled()) {
      this.logJson({ ok: !failed, checks });
    } else {
      const colour = { OK: 'green', WARN: 'yellow', FAIL: 'red' } as const;
      const s = this.style;
      this.out(
        formatDoctor(checks)
          .split('\n')
          .map((line, i) => {
            const level = checks[i]!.level;
            return s(colour[level], level) + line.slice(level.length);
          })
          .join('\n'),
      );
    }
    if (failed) {
      // Not this.exit(1): under --json oclif would print its own error object after the report.
      process.exitCode = 1;
    }
  }
}
