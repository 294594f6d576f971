import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { emitFromText } from '../src/triggers/admin.js';
import { runtimeOf } from '../src/runtime/runtime.js';

export default class Emit extends BaseCommand<typeof Emit> {
  static description =
    'Emit an event for event triggers (on.event(CODE, filter)); prints the event id';
  static examples = [
    `<%= config.bin %> <%= command.id %> user.signup --payload '{"userId": 7, "plan": "pro"}'`,
  ];
  static enableJsonFlag = true;
  static args = {
    code: Args.string({ description: 'event code, e.g. user.signup', required: true }),
  };
  static flags = {
    payload: Flags.string({ description: 'event payload as JSON', default: '{}' }),
  };

  async run(): Promise<{ eventId: string }> {
    const app = await this.app();
    const eventId = await emitFromText(runtimeOf(app), this.args.code, this.flags.payload);
    this.log(eventId);
    return { eventId };
  }
}
