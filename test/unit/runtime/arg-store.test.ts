/**
 * Arguments moved to the data store come back as they went in: each blob is decoded on its own,
 * tagged values (Date, Map) included; a shared object blob is a fresh copy for each invocation, so
 * one task changing it changes nothing for the next; member order is kept (common members first).
 */
import { afterEach, expect, it } from 'vitest';
import { taskapp, type App } from '../../../src/index.js';
import type { Runner } from '../../../src/runners/runner.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

let app: App;
let runner: Runner | undefined;
afterEach(async () => {
  await runner?.stop({ graceMs: 0 });
  runner = undefined;
  await app.close();
});

it('blob members decode on their own, tags included; a shared object is a fresh copy per invocation', async () => {
  app = taskapp({
    configFile: false,
    appId: 'argstore',
    backend: 'memory',
    loggingLevel: 'error',
    dataStore: { minSizeToCache: 200 },
  });
  const when = new Date('2026-12-03T00:00:00Z');
  const seen = app.task(
    'seen',
    async (args: {
      a: number;
      big: { items: string[]; at: Date; m: Map<string, number> };
      text: string;
      at: Date;
    }) => {
      const first = {
        keys: Object.keys(args),
        n: args.big.items.length,
        atIsDate: args.big.at instanceof Date && args.at instanceof Date,
        m: args.big.m.get('k'),
        text: args.text.length,
      };
      // Changed here: the next invocation must still get the stored value.
      args.big.items.length = 0;
      return first;
    },
  );
  const big = {
    items: Array.from({ length: 50 }, (_, i) => `item-${i}`),
    at: when,
    m: new Map([['k', 7]]),
  };
  const text = 'y'.repeat(500);
  const group = await seen.parallelize(
    Array.from({ length: 3 }, (_, a) => ({ a })),
    { common: { big, text, at: when } },
  );
  const { data } = await runtimeOf(app).backends();
  // Both large members went to the data store; `a` and `at` stayed inline.
  expect((await data.stats()).count).toBe(2);
  runner = await app.startRunner({ concurrency: 1 });
  const results = await group.all({ timeoutMs: 10_000 });
  expect(results).toEqual(
    Array.from({ length: 3 }, () => ({
      keys: ['big', 'text', 'at', 'a'],
      n: 50,
      atIsDate: true,
      m: 7,
      text: 500,
    })),
  );
});
