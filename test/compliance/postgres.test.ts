import { afterAll } from 'vitest';
import { describeWithService } from '../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../helpers/postgres.js';
import { complianceSuite } from 'taskapp/testing';

const scope = pgScope('c');
await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres backend', () => {
  afterAll(() => scope.cleanup());
  complianceSuite({
    name: 'postgres',
    shared: true,
    freshConfig: () => ({
      backend: 'postgres',
      postgres: { url: PG_URL, schema: scope.next(), poolSize: 4 },
    }),
  });
});
