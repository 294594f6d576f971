/**
 * parallelize() sends its batches a few at a time, as many as the backend's hot path says
 * (enqueuesInFlight): on PostgreSQL two, since concurrent inserts into one table's last pages
 * contend; elsewhere four. Every invocation is stored either way.
 */
import { afterAll, expect, it } from 'vitest';
import { taskapp } from '../../../../src/index.js';
import { RUNTIME } from '../../../../src/runtime/runtime.js';
import { describeWithService } from '../../../helpers/services.js';
import { PG_HOST, PG_PORT, PG_URL, pgScope } from '../../../helpers/postgres.js';

const scope = pgScope('inflight');

/** The most enqueue batches `app` had out at once during a parallelize of 12 batches of 10. */
async function mostInFlight(options: Record<string, unknown>): Promise<number> {
  const app = taskapp({ configFile: false, loggingLevel: 'error', ...options });
  const add = app.task('add', async ({ x }: { x: number }) => x, { parallelBatchSize: 10 });
  try {
    const { hot, state } = await app[RUNTIME].backends();
    const enqueue = hot.enqueue.bind(hot);
    let out = 0;
    let most = 0;
    hot.enqueue = async (invs, now) => {
      most = Math.max(most, ++out);
      try {
        return await enqueue(invs, now);
      } finally {
        out--;
      }
    };
    const group = await add.parallelize(Array.from({ length: 120 }, (_, x) => ({ x })));
    const stored = await state.getMany(group.ids);
    expect(stored.filter((r) => r.status === 'REGISTERED')).toHaveLength(120);
    return most;
  } finally {
    await app.close();
  }
}

it('other backends send up to four batches at once', async () => {
  expect(await mostInFlight({ backend: 'memory' })).toBe(4);
});

await describeWithService('postgres', PG_HOST, PG_PORT, 'postgres enqueues in flight', () => {
  afterAll(() => scope.cleanup());

  it('sends two batches at once', async () => {
    const postgres = { url: PG_URL, schema: scope.next(), poolSize: 4 };
    expect(await mostInFlight({ backend: 'postgres', postgres })).toBe(2);
  });
});
