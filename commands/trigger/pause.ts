import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import { setTriggerPaused } from '../../src/triggers/admin.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

export default class TriggerPause extends BaseCommand<typeof TriggerPause> {
  static description =
    'Pause a trigger (a trigger id, or a task name: all its triggers); kept in the trigger store across restarts';
  static examples = ['<%= config.bin %> <%= command.id %> report:cron'];
  static enableJsonFlag = true;
  static args = {
    name: Args.string({
      description: 'trigger id (see taskapp trigger list) or task name',
      required: true,
    }),
  };

  async run(): Promise<{ paused: string[] }> {
    const app = await this.app();
    const ids = await setTriggerPaused(runtimeOf(app), this.args.name, true);
    this.log(`paused ${ids.join(', ')}`);
    return { paused: ids };
  }
}
