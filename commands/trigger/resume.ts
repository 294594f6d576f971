import { Args, Command, Flags } from '@oclif/core';
import { loadAppModule } from '../../src/triggers/app-module.js';
import { setTriggerPaused } from '../../src/triggers/admin.js';

export default class TriggerResume extends Command {
  static description = 'Resume a trigger (a trigger id, or a task name: all its triggers); kept in the trigger store across restarts';
  static enableJsonFlag = true;
  static args = { name: Args.string({ description: 'trigger id (see taskapp trigger list) or task name', required: true }) };
  static flags = { app: Flags.string({ description: 'module that exports the app (e.g. src/app.ts)', required: true }) };

  async run(): Promise<{ resumed: string[] }> {
    const { args, flags } = await this.parse(TriggerResume);
    const app = await loadAppModule(flags.app);
    try {
      const ids = await setTriggerPaused(app, args.name, false);
      this.log(`resumed ${ids.join(', ')}`);
      return { resumed: ids };
    } finally {
      await app.close();
    }
  }
}
