import { BaseCommand } from '../src/cli/base-command.js';
import { roleBackendNames } from '../src/backends/registry.js';

interface MigrateReport {
  schema: string | null;
  from: number | null;
  to: number | null;
  applied: string[];
  note?: string;
}

export default class Migrate extends BaseCommand<typeof Migrate> {
  static summary =
    'Create or upgrade the PostgreSQL schema (postgres.schema) to this version of taskapp.';
  static description = `Applies the versioned migrations not yet applied, each once, even when several hosts run this (or start) at the same time. Runners and other commands also migrate on first start; this command does it ahead of a deploy, or as a user allowed to change the schema. Other backends need no migration (sqlite upgrades its file when opened).`;
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    'TASKAPP__POSTGRES__URL=postgres://admin@db/app <%= config.bin %> <%= command.id %> --json',
  ];
  static enableJsonFlag = true;

  async run(): Promise<MigrateReport> {
    const app = await this.app({ requireTasks: false });
    const cfg = app.config;
    if (!Object.values(roleBackendNames(cfg)).includes('postgres')) {
      const note = `no role uses postgres (backend = "${cfg.backend}"): nothing to migrate`;
      this.out(this.style('gray', note));
      return { schema: null, from: null, to: null, applied: [], note };
    }
    // Loaded only here: pg is needed only when postgres is used.
    const { migrate } = await import('../src/backends/postgres/index.js');
    const r = await migrate({
      url: cfg.postgres.url,
      schema: cfg.postgres.schema,
      applicationName: `taskapp migrate ${cfg.app_id}`,
    });
    this.out(
      r.applied.length
        ? this.style(
            'green',
            `schema "${r.schema}": version ${r.from} -> ${r.to} (applied ${r.applied.join(', ')})`,
          )
        : `schema "${r.schema}" is up to date (version ${r.to})`,
    );
    return r;
  }
}
