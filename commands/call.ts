import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { oneLine } from '../src/cli/format.js';
import { readCallArgs } from '../src/cli/call-args.js';
import { callTask, type CallOutcome } from '../src/cli/invocations.js';
import { noRunnerNote } from '../src/cli/runner-alive.js';
import { checkAtFlag, checkDelayFlag, checkExpiresFlag } from '../src/cli/duration.js';
import type { CallOptions } from '../src/app/call-options.js';

export default class Call extends BaseCommand<typeof Call> {
  static summary = 'Enqueue an invocation of a task; print its id, or its result with --wait.';
  static description = `The task must be registered by one of the configured task modules. Arguments are one JSON object of named arguments. Without --wait the id is printed alone on stdout (ID=$(taskapp call ...)). With --wait a runner must be running (taskapp run) unless dev_mode_force_sync is on; a failed invocation exits 1 with its error.`;
  static examples = [
    `<%= config.bin %> <%= command.id %> add --args '{"x": 1, "y": 2}'`,
    `<%= config.bin %> <%= command.id %> add --args '{"x": 1, "y": 2}' --wait`,
    `<%= config.bin %> <%= command.id %> fib --args '{"n": 20}' --wait --timeout 30 --json`,
    `<%= config.bin %> <%= command.id %> report --args-file big-args.json`,
    `jq -n '{rows: [1, 2, 3]}' | <%= config.bin %> <%= command.id %> report --args -`,
    `<%= config.bin %> <%= command.id %> send_reminder --args '{"user": 7}' --delay 10m`,
    `<%= config.bin %> <%= command.id %> report --args '{}' --at 2030-01-01T09:00:00Z --priority 9`,
    `<%= config.bin %> <%= command.id %> charge --args '{"order": 42}' --id order-42`,
    `<%= config.bin %> <%= command.id %> send_reminder --args '{"user": 7}' --expires 1h`,
  ];
  static enableJsonFlag = true;
  static args = {
    task: Args.string({ description: 'task name (taskapp tasks lists them)', required: true }),
  };
  static flags = {
    args: Flags.string({
      char: 'a',
      description: 'arguments as a JSON object; - reads them from stdin',
      helpValue: 'JSON|-',
      exclusive: ['args-file'],
    }),
    'args-file': Flags.string({
      description: 'read the arguments (a JSON object) from this file',
      helpValue: 'PATH',
      exclusive: ['args'],
    }),
    wait: Flags.boolean({ char: 'w', description: 'wait for the result and print it' }),
    timeout: Flags.integer({
      description: 'with --wait: give up after this many seconds (exit 1)',
      min: 1,
    }),
    delay: Flags.string({
      description: 'start no sooner than this long from now (10m, 1h30m; at most a year)',
      helpValue: 'DURATION',
      exclusive: ['at'],
    }),
    at: Flags.string({
      description: 'start no sooner than this time (ISO 8601 with a zone; at most a year ahead)',
      helpValue: 'ISO',
      exclusive: ['delay'],
    }),
    expires: Flags.string({
      description:
        'not started by then, it never runs (CANCELLED, "expired"): a duration from now (10m) or an ISO 8601 time with a zone',
      helpValue: 'DURATION|ISO',
    }),
    id: Flags.string({
      description:
        'idempotency key: the invocation id; if one with this id is stored, print it and store nothing',
      helpValue: 'KEY',
    }),
    priority: Flags.integer({
      description: "this call's priority, 0-9 (higher runs first), over the task's",
      min: 0,
      max: 9,
    }),
  };

  async run(): Promise<CallOutcome> {
    const args = await readCallArgs({ args: this.flags.args, argsFile: this.flags['args-file'] });
    const f = this.flags;
    const call: CallOptions = {
      ...(f.delay !== undefined ? { delayMs: checkDelayFlag(f.delay) } : {}),
      ...(f.at !== undefined ? { runAt: checkAtFlag(f.at) } : {}),
      ...(f.priority !== undefined ? { priority: f.priority } : {}),
      ...(f.id !== undefined ? { id: f.id } : {}),
      ...(f.expires !== undefined ? { expiresAt: checkExpiresFlag(f.expires) } : {}),
    };
    const app = await this.app();
    const note = this.flags.wait ? await noRunnerNote(app, '--wait') : null;
    if (note) {
      this.logToStderr(`${this.styleErr('yellow', 'note:')} ${note}`);
    }
    const res = await callTask(app, this.args.task, args, {
      wait: this.flags.wait,
      timeoutMs: this.flags.timeout === undefined ? undefined : this.flags.timeout * 1000,
      call,
    });
    this.out(this.flags.wait ? oneLine(res.result) : res.id);
    return res;
  }
}
