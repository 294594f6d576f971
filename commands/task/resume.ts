import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class TaskResume extends BaseCommand<typeof TaskResume> {
  static description =
    'Resume a paused task: its waiting invocations go back to the queue, in their order, and runners are woken';
  static examples = ['<%= config.bin %> <%= command.id %> resize'];
  static enableJsonFlag = true;
  static args = {
    task: Args.string({ description: 'task name (see taskapp tasks)', required: true }),
  };

  async run(): Promise<{ task: string; resumed: number }> {
    const app = await this.app();
    const res = await app.resumeTask(this.args.task);
    this.log(`resumed ${res.task} (${res.resumed} invocation(s) back in the queue)`);
    return res;
  }
}
