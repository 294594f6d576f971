import { Command, Flags } from '@oclif/core';
import { loadAppModule } from '../../src/triggers/app-module.js';
import { listTriggers, type TriggerInfo } from '../../src/triggers/admin.js';

const when = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());

export default class TriggerList extends Command {
  static description = 'List triggers: condition, source (code or config), paused, last fire and next fire times';
  static enableJsonFlag = true;
  static flags = {
    app: Flags.string({ description: 'module that exports the app (e.g. src/app.ts)', required: true }),
    next: Flags.integer({ description: 'how many next fire times to show', default: 3 }),
  };

  async run(): Promise<TriggerInfo[]> {
    const { flags } = await this.parse(TriggerList);
    const app = await loadAppModule(flags.app);
    try {
      const list = await listTriggers(app, { count: flags.next });
      if (!list.length) this.log('no triggers');
      for (const t of list) {
        this.log(`${t.id}${t.paused ? '  [paused]' : ''}\n  task ${t.taskId} (${t.source}): ${t.condition}\n  last fire ${when(t.lastFire)}; next ${t.nextFires.length ? t.nextFires.map(when).join(', ') : '-'}`);
      }
      return list;
    } finally {
      await app.close();
    }
  }
}
