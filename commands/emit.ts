import { Args, Command, Flags } from '@oclif/core';
import { loadAppModule } from '../src/triggers/app-module.js';
import { emitFromText } from '../src/triggers/admin.js';

export default class Emit extends Command {
  static description = 'Emit an event for event triggers (on.event(CODE, filter)); prints the event id';
  static enableJsonFlag = true;
  static args = { code: Args.string({ description: 'event code, e.g. user.signup', required: true }) };
  static flags = {
    app: Flags.string({ description: 'module that exports the app (e.g. src/app.ts)', required: true }),
    payload: Flags.string({ description: 'event payload as JSON', default: '{}' }),
  };

  async run(): Promise<{ eventId: string }> {
    const { args, flags } = await this.parse(Emit);
    const app = await loadAppModule(flags.app);
    try {
      const eventId = await emitFromText(app, args.code, flags.payload);
      this.log(eventId);
      return { eventId };
    } finally {
      await app.close();
    }
  }
}
