import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { runMonitor } from '../src/monitoring/tui/run.js';
import { runtimeOf } from '../src/runtime/runtime.js';

export default class Monitor extends BaseCommand<typeof Monitor> {
  static memoryBackendOk = true;
  static override description =
    'Live view of invocations, statuses and runners (one plain snapshot when not a terminal)';
  static override examples = [
    '<%= config.bin %> monitor',
    '<%= config.bin %> monitor --filter FAILED,RETRY',
    '<%= config.bin %> monitor --once',
  ];
  static override flags = {
    refresh: Flags.integer({
      description: 'refresh interval in milliseconds',
      default: 1000,
      min: 100,
    }),
    filter: Flags.string({
      description: 'start filtered: a task id, or statuses like FAILED,RETRY',
    }),
    once: Flags.boolean({ description: 'print one plain snapshot and exit, even on a terminal' }),
  };

  async run(): Promise<void> {
    const app = await this.app({ requireTasks: false });
    await runMonitor(runtimeOf(app), {
      refreshMs: this.flags.refresh,
      filter: this.flags.filter,
      once: this.flags.once,
    });
  }
}
