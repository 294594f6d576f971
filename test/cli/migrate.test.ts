/** taskapp migrate: the built binary against the real PostgreSQL server, in its own schema. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrations } from '../../src/backends/postgres/migrate.js';
import { describeWithService } from '../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../helpers/postgres.js';
import { cli, ensureBuilt, project } from './helpers.js';

const scope = pgScope('cli');

await describeWithService('postgres', PG_HOST, PG_PORT, 'taskapp migrate', () => {
  let p: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    await ensureBuilt();
    p = project({ 'taskapp.toml': 'app_id = "migratetest"\nbackend = "sqlite"\n' });
  });
  afterAll(async () => {
    p?.cleanup();
    await scope.cleanup();
  });

  it('creates the schema once, then reports it up to date; without postgres there is nothing to do', async () => {
    const env = {
      TASKAPP__BACKEND: 'postgres',
      TASKAPP__POSTGRES__URL: PG_URL,
      TASKAPP__POSTGRES__SCHEMA: scope.next(),
    };
    const first = await cli(['migrate', '--json'], { cwd: p.dir, env });
    expect(first.code, first.stderr).toBe(0);
    const all = migrations();
    expect(JSON.parse(first.stdout)).toMatchObject({
      from: 0,
      to: all.at(-1)!.version,
      applied: all.map((m) => m.name),
    });
    const again = await cli(['migrate'], { cwd: p.dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('is up to date');
    const none = await cli(['migrate', '--json'], { cwd: p.dir });
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout).applied).toEqual([]);
  });
});
