import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import { fireTriggerNow } from '../../src/triggers/admin.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

export default class TriggerFire extends BaseCommand<typeof TriggerFire> {
  static description =
    "Fire a trigger now, once (its task is registered with the trigger's arguments)";
  static examples = ['<%= config.bin %> <%= command.id %> report:cron'];
  static enableJsonFlag = true;
  static args = {
    name: Args.string({
      description: 'trigger id, or a task name with one trigger',
      required: true,
    }),
  };

  async run(): Promise<{ triggerId: string; invocationId: string }> {
    const app = await this.app();
    const out = await fireTriggerNow(runtimeOf(app), this.args.name);
    this.log(`fired ${out.triggerId}: invocation ${out.invocationId}`);
    return out;
  }
}
