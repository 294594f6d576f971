import { Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { TaskappError } from '../src/core/errors.js';
import { BaseCommand } from '../src/cli/base-command.js';
import { parseDurationFlag } from '../src/cli/duration.js';
import { countPurgeable, purgeInvocations } from '../src/runtime/purge.js';
import { runtimeOf } from '../src/runtime/runtime.js';

export default class Purge extends BaseCommand<typeof Purge> {
  static summary =
    'Delete finished invocations (SUCCESS, FAILED, CONCURRENCY_CONTROLLED_FINAL) and their history.';
  static description = `Only final invocations are deleted; nothing queued or running is touched. Asks for confirmation on a terminal; scripts pass --yes.`;
  static examples = [
    '<%= config.bin %> <%= command.id %> --finished-before 24h',
    '<%= config.bin %> <%= command.id %> --finished-before 7d --yes --json',
    '<%= config.bin %> <%= command.id %> --yes   # every finished invocation',
  ];
  static enableJsonFlag = true;
  static flags = {
    'finished-before': Flags.string({
      description: 'only those that finished at least this long ago: 10m, 24h, 7d (default: all)',
      helpValue: 'DURATION',
    }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
  };

  async run(): Promise<{ purged: number; blobsDeleted: number; finishedBefore: string }> {
    const age = this.flags['finished-before'];
    const before = Date.now() - (age === undefined ? 0 : parseDurationFlag(age, 'finished-before'));
    const what = `finished invocations${age ? ` older than ${age}` : ''} (before ${new Date(before).toISOString()})`;
    const app = await this.app({ requireTasks: false });
    if (!this.flags.yes) {
      const count = await countPurgeable(runtimeOf(app), before);
      await this.confirm(`${count} ${what}`);
    }
    const { purged, blobsDeleted } = await purgeInvocations(runtimeOf(app), before);
    this.out(
      `purged ${purged} ${what}${blobsDeleted ? `, and ${blobsDeleted} argument blob(s) no longer used` : ''}`,
    );
    return { purged, blobsDeleted, finishedBefore: new Date(before).toISOString() };
  }

  /** Asks before deleting `what` ("N finished invocations ..."). */
  private async confirm(what: string): Promise<void> {
    if (!process.stdin.isTTY || this.jsonEnabled()) {
      throw new TaskappError(
        'USAGE',
        `purge would delete ${what} and needs confirmation, but there is no terminal to ask on`,
        {
          fix: 'pass --yes',
          exitCode: 2,
        },
      );
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Delete ${what}? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      throw new TaskappError('ABORTED', 'purge aborted: nothing deleted', { exitCode: 1 });
    }
  }
}
