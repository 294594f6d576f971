import { Flags } from '@oclif/core';
import { RUNNERS } from '../src/config/schema.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { runUntilStopped } from '../src/cli/run-runner.js';
import { styler } from '../src/cli/style.js';

export default class Run extends BaseCommand<typeof Run> {
  static memoryBackendOk = true;
  static summary =
    'Start a runner: load the config and task modules, then run invocations until stopped.';
  static description = `Logs a one-line start banner (app, backend, runner, tasks found) on stderr. SIGINT/SIGTERM stop gracefully: no new claims, work in flight finishes (runner.shutdown_grace_seconds) or is rerouted; a second signal stops at once. Flags override the [runner] section of the config and TASKAPP__RUNNER__*.`;
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --concurrency 32',
    '<%= config.bin %> <%= command.id %> --concurrency 50 --prefetch 500   # many short tasks',
    '<%= config.bin %> <%= command.id %> --runner persistent-process --processes 4',
    '<%= config.bin %> <%= command.id %> --once   # drain the queue, then exit (CI, batch jobs)',
  ];
  static flags = {
    runner: Flags.string({
      char: 'r',
      description: 'runner kind (default: runner.kind from config)',
      options: [...RUNNERS],
    }),
    concurrency: Flags.integer({
      char: 'n',
      description:
        'invocations at once per runner (per child for multi-thread and persistent-process)',
      min: 1,
    }),
    prefetch: Flags.integer({
      description:
        'invocations claimed ahead of free slots, for many short tasks (runner.prefetch; 0 to 10000)',
      min: 0,
      max: 10_000,
    }),
    processes: Flags.integer({
      char: 'p',
      description: 'children of process-based runners',
      min: 1,
    }),
    once: Flags.boolean({ description: 'exit once the queue is empty and nothing is running' }),
  };

  async run(): Promise<void> {
    const { runner, concurrency, prefetch, processes, once } = this.flags;
    const app = await this.app({
      flags: { runner: { kind: runner, concurrency, prefetch, processes } },
    });
    const cfg = app.config.runner;
    const err = styler(process.stderr);
    await runUntilStopped(
      app,
      {
        runner: cfg.kind,
        concurrency: cfg.concurrency,
        prefetch: cfg.prefetch,
        processes: cfg.processes,
        once,
        appModule: this.taskModules,
      },
      this.taskModules.length,
      {
        info: (l) => process.stderr.write(`${err('cyan', '›')} ${l}\n`),
        warn: (l) => process.stderr.write(`${err('yellow', '!')} ${l}\n`),
      },
    );
  }
}
