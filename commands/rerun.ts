import { Args, Flags } from '@oclif/core';
import { TaskappError } from '../src/core/errors.js';
import { FINAL_STATUSES, type Status } from '../src/core/status.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { parseDurationFlag } from '../src/cli/duration.js';
import { parseStatusFlag } from '../src/cli/status-flag.js';
import {
  MAX_BULK_RERUN,
  rerunInvocation,
  rerunMatching,
  type Rerun,
} from '../src/runtime/rerun.js';
import { runtimeOf } from '../src/runtime/runtime.js';

export default class RerunCommand extends BaseCommand<typeof RerunCommand> {
  static summary =
    'Rerun finished invocations: a new call with the same arguments, linked to the old one.';
  static description = `Give invocation ids, or select them with --status (and --task, --since). Each rerun is a new invocation whose \`rerunOf\` (taskapp status NEW_ID) names the one it reruns. Only finished invocations (${[...FINAL_STATUSES].join(', ')}) are rerun; --dry-run lists them and changes nothing.`;
  static examples = [
    '<%= config.bin %> <%= command.id %> 0f8c...   # one invocation',
    '<%= config.bin %> <%= command.id %> --status FAILED --since 1h',
    '<%= config.bin %> <%= command.id %> --status FAILED --task resize --limit 500 --dry-run --json',
  ];
  static enableJsonFlag = true;
  static strict = false;
  static args = { ids: Args.string({ description: 'invocation ids to rerun', required: false }) };
  static flags = {
    status: Flags.string({
      char: 's',
      description: `rerun those in these statuses (comma-separated): ${[...FINAL_STATUSES].join(', ')}`,
      helpValue: 'STATUS',
      parse: async (input) => parseStatusFlag(input),
      multiple: true,
      delimiter: ',',
    }),
    task: Flags.string({ char: 't', description: 'only this task (with --status)' }),
    since: Flags.string({
      description: 'only those created within this long ago (with --status): 10m, 1h, 7d',
      helpValue: 'DURATION',
    }),
    limit: Flags.integer({
      char: 'l',
      description: `at most this many, newest first (1-${MAX_BULK_RERUN})`,
      default: 1000,
      min: 1,
      max: MAX_BULK_RERUN,
    }),
    'dry-run': Flags.boolean({ description: 'list what would be rerun; change nothing' }),
  };

  async run(): Promise<{ matched: string[]; reruns: Rerun[]; dryRun: boolean }> {
    const { status, task, since, limit } = this.flags;
    const dryRun = this.flags['dry-run'];
    const ids = this.positional;
    if (ids.length ? status || task || since : !status) {
      throw new TaskappError(
        'USAGE',
        ids.length
          ? 'rerun takes invocation ids or a selection (--status, --task, --since), not both'
          : 'rerun needs invocation ids or --status',
        { fix: 'e.g. taskapp rerun ID, or taskapp rerun --status FAILED --since 1h', exitCode: 2 },
      );
    }
    const rt = runtimeOf(await this.app());
    let out: { matched: string[]; reruns: Rerun[] };
    if (ids.length) {
      const recs = await Promise.all(ids.map((id) => rt.getRecord(id)));
      out = {
        matched: recs.map((r) => r.id),
        reruns: dryRun ? [] : await Promise.all(ids.map((id) => rerunInvocation(rt, id))),
      };
    } else {
      out = await rerunMatching(rt, {
        statuses: status as Status[],
        taskId: task,
        since: since === undefined ? undefined : Date.now() - parseDurationFlag(since, 'since'),
        limit,
        dryRun,
      });
    }
    if (dryRun) {
      this.out(
        out.matched.length
          ? `would rerun ${out.matched.length}:\n${out.matched.join('\n')}`
          : this.style('gray', 'no invocations match'),
      );
    } else {
      this.out(
        out.reruns.length
          ? `reran ${out.reruns.length}:\n${out.reruns.map((r) => `${r.rerunOf} -> ${r.id}`).join('\n')}`
          : this.style('gray', 'no invocations match'),
      );
    }
    return { ...out, dryRun };
  }
}
