import { Args, Command, Flags } from '@oclif/core';
import { loadAppModule } from '../../src/triggers/app-module.js';
import { fireTriggerNow } from '../../src/triggers/admin.js';

export default class TriggerFire extends Command {
  static description = 'Fire a trigger now, once (its task is registered with the trigger\'s arguments)';
  static enableJsonFlag = true;
  static args = { name: Args.string({ description: 'trigger id, or a task name with one trigger', required: true }) };
  static flags = { app: Flags.string({ description: 'module that exports the app (e.g. src/app.ts)', required: true }) };

  async run(): Promise<{ triggerId: string; invocationId: string }> {
    const { args, flags } = await this.parse(TriggerFire);
    const app = await loadAppModule(flags.app);
    try {
      const out = await fireTriggerNow(app, args.name);
      this.log(`fired ${out.triggerId}: invocation ${out.invocationId}`);
      return out;
    } finally {
      await app.close();
    }
  }
}
