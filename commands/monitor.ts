import { Command, Flags } from '@oclif/core';
import { appFromConfig } from '../src/monitoring/cli-app.js';
import { runMonitor } from '../src/monitoring/tui/run.js';

export default class Monitor extends Command {
  static override description = 'Live view of invocations, statuses and runners (one plain snapshot when not a terminal)';
  static override examples = ['<%= config.bin %> monitor', '<%= config.bin %> monitor --filter FAILED,RETRY', '<%= config.bin %> monitor --once'];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'config file (default: searched from the current folder)' }),
    refresh: Flags.integer({ description: 'refresh interval in milliseconds', default: 1000, min: 100 }),
    filter: Flags.string({ description: 'start filtered: a task id, or statuses like FAILED,RETRY' }),
    once: Flags.boolean({ description: 'print one plain snapshot and exit, even on a terminal' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Monitor);
    const app = appFromConfig(flags.config);
    try {
      await runMonitor(app, { refreshMs: flags.refresh, filter: flags.filter, once: flags.once });
    } finally {
      await app.close();
    }
  }
}
