/**
 * The postgres backend's own connections: a claim that drains the queue after work vacuums the
 * queue table (its dead rows are what every later claim's index scan walks past), and a backend
 * opened for a heartbeat thread (no wake-ups) holds no LISTEN connection, which every NOTIFY of
 * the schema would wake.
 */
import { afterAll, expect, it } from 'vitest';
import { openBackend } from '../../../../src/backends/registry.js';
import { VACUUM_AFTER_DRAINED } from '../../../../src/backends/postgres/queue-vacuum.js';
import { loadConfig } from '../../../../src/config/load.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope, withSchemaClient } from '../../../helpers/postgres.js';
import { until } from '../../../helpers/until.js';
import { openBackends } from '../../../compliance/harness.js';

const scope = pgScope('qmaint');

/** One count from the server's statistics views (any schema: they are not schema-qualified). */
const count = (schema: string, sql: string, values: unknown[]): Promise<number> =>
  withSchemaClient(schema, async (c) => (await c.query<{ n: number }>(sql, values)).rows[0]!.n);

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres queue maintenance', () => {
  afterAll(() => scope.cleanup());

  it('vacuums the queue table once a claim drains it after work', async () => {
    const schema = scope.next();
    const b = await openBackends({ backend: 'postgres', postgres: { url: PG_URL, schema } });
    try {
      const n = VACUUM_AFTER_DRAINED + 200;
      await b.broker.route(Array.from({ length: n }, (_, i) => ({ id: `v${i}`, priority: 5 })));
      let taken = 0;
      while (taken < n) {
        const got = await b.broker.claim(500, 0);
        expect(got.length).toBeGreaterThan(0);
        taken += got.length;
      }
      expect(await b.broker.claim(500, 0)).toEqual([]);
      const vacuumed = async () =>
        (await count(
          schema,
          `SELECT count(*)::int AS n FROM pg_stat_user_tables
          WHERE schemaname = $1 AND relname = 'queue' AND last_vacuum IS NOT NULL`,
          [schema],
        )) === 1;
      await until(vacuumed, 10_000);
      expect(await vacuumed()).toBe(true);
    } finally {
      await b.close();
    }
  });

  it('opens no LISTEN connection for a caller without wake-ups', async () => {
    const listeners = (schema: string, appId: string) =>
      count(
        schema,
        `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
        [`taskapp ${appId}`],
      );
    for (const [wakeups, expected] of [
      [true, 1],
      [false, 0],
    ] as const) {
      const schema = scope.next();
      const appId = `qmaint-${process.pid}-${wakeups}`;
      const resolved = loadConfig({
        code: { appId, backend: 'postgres', postgres: { url: PG_URL, schema } },
        configFile: false,
        env: {},
      });
      const roles = await openBackend('postgres', resolved, { wakeups });
      try {
        expect(await listeners(schema, appId)).toBe(expected);
        // It still does what a heartbeat thread needs.
        await roles.state!.heartbeat({
          id: 'hb',
          kind: 'thread',
          hostname: 'h',
          pid: 1,
          startedAt: 1,
          heartbeatAt: Date.now(),
        });
        expect((await roles.state!.runners()).map((r) => r.id)).toEqual(['hb']);
      } finally {
        await roles.close();
      }
    }
  });
});
