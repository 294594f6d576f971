import { Flags } from '@oclif/core';
import { BaseCommand } from '../../src/cli/base-command.js';
import {
  configAsWritten,
  configToToml,
  explainConfig,
  type ExplainedField,
} from '../../src/config/explain.js';

export default class ConfigShow extends BaseCommand<typeof ConfigShow> {
  static memoryBackendOk = true;
  static summary = 'Print the resolved configuration; --explain adds where each value came from.';
  static description = `Sources, lowest first: default < code (taskapp({...})) < config file (file:line) < env (TASKAPP__FIELD, TASKAPP__SECTION__FIELD) < flags. The task modules are imported so that options set in code show up too.`;
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --explain',
    'TASKAPP__RUNNER__CONCURRENCY=32 <%= config.bin %> <%= command.id %> --explain --json',
  ];
  static enableJsonFlag = true;
  static flags = {
    explain: Flags.boolean({ char: 'e', description: 'show the source of every value' }),
  };

  async run(): Promise<{
    file: string | null;
    config: Record<string, unknown>;
    fields?: ExplainedField[];
  }> {
    const app = await this.app({ requireTasks: false });
    const resolved = app.resolvedConfig;
    const file = (resolved as { filepath?: string | null }).filepath ?? null;
    this.out(
      `${this.style('gray', `# config file: ${file ?? '(none found; defaults, code and env only)'}`)}`,
    );
    this.out(configToToml(resolved, this.flags.explain));
    const out = { file, config: configAsWritten(resolved) };
    return this.flags.explain ? { ...out, fields: explainConfig(resolved) } : out;
  }
}
