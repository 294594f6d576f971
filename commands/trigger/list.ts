import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import { listTriggers, type TriggerInfo } from '../../src/triggers/admin.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const when = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());

export default class TriggerList extends BaseCommand<typeof TriggerList> {
  static description =
    'List triggers: condition, source (code or config), paused, last fire and next fire times';
  static examples = ['<%= config.bin %> <%= command.id %>'];
  static enableJsonFlag = true;
  static flags = {
    next: Flags.integer({ description: 'how many next fire times to show', default: 3 }),
  };

  async run(): Promise<TriggerInfo[]> {
    const app = await this.app();
    const list = await listTriggers(runtimeOf(app), { count: this.flags.next });
    if (!list.length) {
      this.log('no triggers');
    }
    for (const t of list) {
      this.log(
        `${t.id}${t.paused ? '  [paused]' : ''}\n  task ${t.taskId} (${t.source}): ${t.condition}\n  last fire ${when(t.lastFire)}; next ${t.nextFires.length ? t.nextFires.map(when).join(', ') : '-'}`,
      );
    }
    return list;
  }
}
