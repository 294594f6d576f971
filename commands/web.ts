import { Flags } from '@oclif/core';
import { BaseCommand } from '../src/cli/base-command.js';
import { runWeb } from '../src/monitoring/web/run.js';
import { runtimeOf } from '../src/runtime/runtime.js';

export default class Web extends BaseCommand<typeof Web> {
  static memoryBackendOk = true;
  static override description =
    'Serve the web dashboard, its JSON API (/api/...) and Prometheus /metrics';
  static override examples = [
    '<%= config.bin %> web',
    '<%= config.bin %> web --port 9000 --allow-actions',
    'TASKAPP_WEB_TOKEN=$(openssl rand -hex 24) <%= config.bin %> web --host 0.0.0.0 --allow-actions',
  ];
  static override flags = {
    port: Flags.integer({
      char: 'p',
      description: 'port to listen on',
      default: 8000,
      min: 0,
      max: 65535,
    }),
    host: Flags.string({
      description: 'address to listen on (0.0.0.0 exposes the dashboard to the network)',
      default: '127.0.0.1',
    }),
    'allow-actions': Flags.boolean({
      description:
        'enable rerun and purge (protected by a token and an Origin check; off loopback the token must be a secret given by --token or TASKAPP_WEB_TOKEN)',
    }),
    token: Flags.string({
      description:
        'secret action token (at least 16 characters), required with --allow-actions off loopback; prefer the env variable, argv is visible to other users',
      env: 'TASKAPP_WEB_TOKEN',
      helpValue: 'SECRET',
    }),
  };

  async run(): Promise<void> {
    const app = await this.app({ requireTasks: false });
    await runWeb(runtimeOf(app), {
      port: this.flags.port,
      host: this.flags.host,
      allowActions: this.flags['allow-actions'],
      token: this.flags.token,
      log: (m) => this.log(m),
    });
  }
}
