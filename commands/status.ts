import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { noRunnerNote } from '../src/cli/runner-alive.js';
import { TimeoutError } from '../src/core/errors.js';
import { loadView, type InvocationView } from '../src/cli/invocations.js';
import {
  renderInvocation,
  renderOutcome,
  renderTimelineEntry,
} from '../src/cli/render-invocation.js';

export default class Status extends BaseCommand<typeof Status> {
  static summary =
    'Show one invocation: status, task, arguments, runner, attempts, times, result or error, history.';
  static description = `The history is the timeline of every status change with the runner that made it. An unknown id exits 1. --watch follows the invocation until it is final, printing each new status as it happens (with --json: prints the final state once).`;
  static examples = [
    '<%= config.bin %> <%= command.id %> 0b6f5c0e-3c5e-4a8e-9a61-2f1f0f1b2c3d',
    '<%= config.bin %> <%= command.id %> $(<%= config.bin %> call add --args \'{"x":1,"y":2}\') --watch',
    '<%= config.bin %> <%= command.id %> 0b6f5c0e-3c5e-4a8e-9a61-2f1f0f1b2c3d --json | jq .history',
  ];
  static enableJsonFlag = true;
  static args = {
    id: Args.string({
      description: 'invocation id (printed by taskapp call, listed by taskapp list)',
      required: true,
    }),
  };
  static flags = {
    watch: Flags.boolean({ description: 'follow until the invocation is final' }),
    timeout: Flags.integer({
      description: 'with --watch: give up after this many seconds (exit 1)',
      min: 1,
    }),
    interval: Flags.integer({
      description: 'with --watch: poll every N milliseconds',
      default: 300,
      min: 10,
      hidden: true,
    }),
  };

  async run(): Promise<InvocationView> {
    const app = await this.app({ requireTasks: false, tasksOptional: true });
    let view = await loadView(app, this.args.id);
    const s = this.style;
    if (!this.flags.watch || view.final) {
      this.out(renderInvocation(view, s));
      return view;
    }
    this.out(renderInvocation(view, s));
    const note = await noRunnerNote(app, '--watch');
    if (note) {
      this.logToStderr(`${this.styleErr('yellow', 'note:')} ${note}`);
    }
    const deadline =
      this.flags.timeout === undefined ? Infinity : Date.now() + this.flags.timeout * 1000;
    let shown = view.history.length;
    while (!view.final) {
      if (Date.now() >= deadline) {
        throw new TimeoutError(view.id, view.status, this.flags.timeout! * 1000);
      }
      await new Promise((r) => setTimeout(r, this.flags.interval));
      view = await loadView(app, this.args.id);
      for (const h of view.history.slice(shown)) {
        this.out(renderTimelineEntry(h, s));
      }
      shown = view.history.length;
    }
    const outcome = renderOutcome(view, s);
    if (outcome.length) {
      this.out(outcome.join('\n'));
    }
    return view;
  }
}
