import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import {
  INIT_BACKENDS,
  scaffold,
  type InitBackend,
  type ScaffoldResult,
} from '../src/cli/scaffold.js';

export default class Init extends BaseCommand<typeof Init> {
  static summary =
    'Create a working taskapp project: config, two example tasks, scripts and a test.';
  static description = `Writes taskapp.toml, src/tasks.ts (tasks "add" and "fib"), package.json with scripts, a vitest test that runs the tasks in dev mode, tsconfig.json and .gitignore. Refuses to touch existing files unless --force is given; with it, an existing package.json is merged (your name, version, "type", scripts and dependencies kept, ours added) and any other file it replaces is kept as <file>.bak first.`;
  static examples = [
    '<%= config.bin %> <%= command.id %> my-app',
    '<%= config.bin %> <%= command.id %> . --backend redis',
    '<%= config.bin %> <%= command.id %> my-app --backend postgres --force',
  ];
  static enableJsonFlag = true;
  static args = {
    dir: Args.string({ description: 'folder to create the project in', default: '.' }),
  };
  static flags = {
    backend: Flags.string({
      description: 'backend the project starts with',
      options: [...INIT_BACKENDS],
      default: 'sqlite',
    }),
    force: Flags.boolean({
      description:
        'write over existing files: package.json is merged, others backed up to <file>.bak',
    }),
    local: Flags.boolean({
      hidden: true,
      description:
        "depend on this taskapp copy's folder (file:) whatever it was installed from; also TASKAPP_INIT_LOCAL=1",
    }),
  };

  async run(): Promise<ScaffoldResult> {
    const envLocal = ['1', 'true', 'yes'].includes(
      (process.env.TASKAPP_INIT_LOCAL ?? '').toLowerCase(),
    );
    const res = scaffold({
      dir: this.args.dir,
      backend: this.flags.backend as InitBackend,
      force: this.flags.force,
      local: this.flags.local || envLocal,
    });
    const s = this.style;
    this.out(`${s('green', 'Created')} ${s('bold', res.appId)} in ${res.dir}`);
    for (const f of res.written) {
      if (res.merged.includes(f)) {
        this.out(`  ${s('yellow', 'merged   ')} ${f} (your fields kept, ours added)`);
      } else if (res.backups[f]) {
        this.out(`  ${s('yellow', 'overwrote')} ${f} (yours kept as ${res.backups[f]})`);
      } else {
        this.out(`  ${s('green', 'wrote    ')} ${f}`);
      }
    }
    this.out('\nNext:');
    for (const cmd of res.next) {
      this.out(`  ${s('cyan', cmd)}`);
    }
    return res;
  }
}
