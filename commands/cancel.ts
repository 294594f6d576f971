import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import type { CancelResult } from '../src/runtime/cancel.js';
import { MAX_CANCEL_REASON } from '../src/runtime/cancel.js';

export default class Cancel extends BaseCommand<typeof Cancel> {
  static summary = 'Cancel invocations: waiting ones never run, running ones are stopped.';
  static description = `A waiting invocation (REGISTERED, REROUTED, RETRY, CONCURRENCY_CONTROLLED) goes CANCELLED at once and never runs. A running one (PENDING, RUNNING, PAUSED, RESUMED) is stopped by the runner that holds it: its ctx.signal aborts, and if it has not ended after a grace period its child process or worker thread is killed (other invocations in that child run again elsewhere); a task on a thread runner's own thread that ignores its signal runs on and is marked CANCELLED when it returns. One already final is left as it is. --children also cancels the unfinished invocations it called, and theirs: cancel a workflow's root with it to cancel the whole workflow. result() of a cancelled invocation rejects with InvocationCancelledError.`;
  static examples = [
    '<%= config.bin %> <%= command.id %> 0b6f5c0e-3c5e-4a8e-9a61-2f1f0f1b2c3d',
    '<%= config.bin %> <%= command.id %> ID1 ID2 --reason "customer left"',
    '<%= config.bin %> <%= command.id %> WORKFLOW_ROOT_ID --children --json',
  ];
  static enableJsonFlag = true;
  static strict = false;
  static args = {
    id: Args.string({
      description: 'invocation id(s) (printed by taskapp call, listed by taskapp list)',
      required: true,
    }),
  };
  static flags = {
    children: Flags.boolean({
      description: 'also cancel the unfinished invocations these called (a whole workflow)',
    }),
    reason: Flags.string({
      description: `why (at most ${MAX_CANCEL_REASON} characters; result() shows it)`,
      helpValue: 'TEXT',
    }),
  };

  async run(): Promise<CancelResult[]> {
    // Non-strict: every argument is an id (oclif keeps the extra ones in argv).
    const ids = (await this.parse(Cancel)).argv as string[];
    const app = await this.app({ requireTasks: false, tasksOptional: true });
    const results = await app.cancel(ids, {
      children: this.flags.children,
      ...(this.flags.reason !== undefined ? { reason: this.flags.reason } : {}),
    });
    const s = this.style;
    for (const r of results) {
      const what =
        r.outcome === 'cancelled'
          ? s('green', 'cancelled')
          : r.outcome === 'requested'
            ? s('yellow', `asked its runner to stop it (was ${r.status})`)
            : s('gray', `already final (${r.status})`);
      this.out(`${r.id}  ${what}`);
    }
    return results;
  }
}
