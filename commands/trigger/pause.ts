import { Args, Command, Flags } from '@oclif/core';
import { loadAppModule } from '../../src/triggers/app-module.js';
import { setTriggerPaused } from '../../src/triggers/admin.js';

export default class TriggerPause extends Command {
  static description = 'Pause a trigger (a trigger id, or a task name: all its triggers); kept in the trigger store across restarts';
  static enableJsonFlag = true;
  static args = { name: Args.string({ description: 'trigger id (see taskapp trigger list) or task name', required: true }) };
  static flags = { app: Flags.string({ description: 'module that exports the app (e.g. src/app.ts)', required: true }) };

  async run(): Promise<{ paused: string[] }> {
    const { args, flags } = await this.parse(TriggerPause);
    const app = await loadAppModule(flags.app);
    try {
      const ids = await setTriggerPaused(app, args.name, true);
      this.log(`paused ${ids.join(', ')}`);
      return { paused: ids };
    } finally {
      await app.close();
    }
  }
}
