import { Command, Flags } from '@oclif/core';
import { appFromConfig } from '../src/monitoring/cli-app.js';
import { runWeb } from '../src/monitoring/web/run.js';

export default class Web extends Command {
  static override description = 'Serve the web dashboard, its JSON API (/api/...) and Prometheus /metrics';
  static override examples = ['<%= config.bin %> web', '<%= config.bin %> web --port 9000 --allow-actions'];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'config file (default: searched from the current folder)' }),
    port: Flags.integer({ char: 'p', description: 'port to listen on', default: 8000, min: 0, max: 65535 }),
    host: Flags.string({ description: 'address to listen on (0.0.0.0 exposes the dashboard to the network)', default: '127.0.0.1' }),
    'allow-actions': Flags.boolean({ description: 'enable rerun and purge (protected by a per-start token and an Origin check)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Web);
    const app = appFromConfig(flags.config);
    await runWeb(app, { port: flags.port, host: flags.host, allowActions: flags['allow-actions'], log: (m) => this.log(m) });
  }
}
