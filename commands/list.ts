import { Flags } from '@oclif/core';
import { STATUSES, type Status } from '../src/core/status.js';
import { parseStatusFlag } from '../src/cli/status-flag.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { parseDurationFlag } from '../src/cli/duration.js';
import { viewOf, type InvocationView } from '../src/cli/invocations.js';
import { renderList } from '../src/cli/render-invocation.js';
import { runnerOf } from '../src/core/records.js';
import { runtimeOf } from '../src/runtime/runtime.js';

export default class List extends BaseCommand<typeof List> {
  static summary = 'List invocations, newest first.';
  static description =
    'Filters combine: --task add --status FAILED --since 1h lists the add invocations that failed in the last hour.';
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --task add --status FAILED,RETRY --since 1h',
    '<%= config.bin %> <%= command.id %> --status RUNNING --limit 100 --json',
  ];
  static enableJsonFlag = true;
  static flags = {
    task: Flags.string({ char: 't', description: 'only this task' }),
    status: Flags.string({
      char: 's',
      description: `only these statuses (comma-separated or repeated, any case): ${STATUSES.join(', ')}`,
      helpValue: 'STATUS',
      // Any case: `--status failed` is as clear as `--status FAILED`.
      parse: async (input) => parseStatusFlag(input),
      multiple: true,
      delimiter: ',',
    }),
    limit: Flags.integer({ char: 'l', description: 'at most this many rows', default: 20, min: 1 }),
    since: Flags.string({
      description: 'created within this long ago: 90s, 10m, 24h, 7d',
      helpValue: 'DURATION',
    }),
  };

  async run(): Promise<InvocationView[]> {
    const { task, status, limit, since } = this.flags;
    const createdAfter =
      since === undefined ? undefined : Date.now() - parseDurationFlag(since, 'since');
    const app = await this.app({ requireTasks: false, tasksOptional: true });
    const { state } = await runtimeOf(app).backends();
    const recs = await state.list({
      taskId: task,
      statuses: status as Status[] | undefined,
      createdAfter,
      limit,
    });
    // A finished invocation has no owner: its runner is the last one in its history.
    const histories = await state.historyMany(recs.filter((r) => !r.owner).map((r) => r.id));
    const views = recs.map((r) => ({
      ...viewOf(app, r, []),
      runner: runnerOf(r, histories[r.id] ?? []),
    }));
    this.out(
      views.length ? renderList(views, this.style) : this.style('gray', 'no invocations match'),
    );
    return views;
  }
}
