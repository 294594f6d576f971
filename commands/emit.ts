import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { emitFromText, listenedEventCodes } from '../src/triggers/admin.js';
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
    const runtime = runtimeOf(app);
    const eventId = await emitFromText(runtime, this.args.code, this.flags.payload);
    const known = listenedEventCodes(runtime);
    if (!known.includes(this.args.code)) {
      this.logToStderr(
        `${this.styleErr('yellow', 'warning:')} no trigger listens to event "${this.args.code}"; known event codes: ${known.length ? known.join(', ') : '(none)'}`,
      );
    }
    this.log(eventId);
    return { eventId };
  }
}
