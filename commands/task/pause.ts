import { Args } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';

export default class TaskPause extends BaseCommand<typeof TaskPause> {
  static description =
    "Pause a task's processing: runners on every host stop starting it, its queued invocations wait (nothing is lost); kept in the backend across restarts";
  static examples = ['<%= config.bin %> <%= command.id %> resize'];
  static enableJsonFlag = true;
  static args = {
    task: Args.string({ description: 'task name (see taskapp tasks)', required: true }),
  };

  async run(): Promise<{ task: string; parked: number }> {
    const app = await this.app();
    const res = await app.pauseTask(this.args.task);
    this.log(`paused ${res.task} (${res.parked} queued invocation(s) now wait)`);
    return res;
  }
}
