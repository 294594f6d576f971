import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { migrate, migrations } from '../../../../src/backends/postgres/migrate.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../../../helpers/postgres.js';

const scope = pgScope('mig');

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres migrations', () => {
  afterAll(() => scope.cleanup());

  it('creates the schema and applies each migration once, even with concurrent starters', async () => {
    const schema = scope.next();
    const latest = migrations().at(-1)!.version;
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => migrate({ url: PG_URL, schema })),
    );
    expect(runs.filter((r) => r.applied.length > 0).length).toBe(1);
    expect(runs.every((r) => r.to === latest)).toBe(true);
    expect(await migrate({ url: PG_URL, schema })).toEqual({
      schema,
      from: latest,
      to: latest,
      applied: [],
    });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const { rows } = await c.query(
        `SELECT version FROM "${schema}".schema_version ORDER BY version`,
      );
      expect(rows.map((r) => r.version)).toEqual(migrations().map((m) => m.version));
      const tables = await c.query(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [schema],
      );
      expect(tables.rows.map((r) => r.table_name)).toContain('invocations');
    } finally {
      await c.end();
    }
  });

  it('refuses a schema migrated by a newer taskapp', async () => {
    const schema = scope.next();
    await migrate({ url: PG_URL, schema });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`INSERT INTO "${schema}".schema_version (version, name) VALUES (999, 'future')`);
    await c.end();
    await expect(migrate({ url: PG_URL, schema })).rejects.toThrow(
      /version 999, newer than this taskapp/,
    );
  });
});
