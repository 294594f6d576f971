import { describe, expect, it } from 'vitest';
import { add, crawlLater, fib } from '../src/tasks.js';

// vitest.config.ts sets TASKAPP__DEV_MODE_FORCE_SYNC=true: each call runs inline, in memory,
// through the same statuses a runner would use. No runner, no database.
describe('tasks', () => {
  it('add adds', async () => {
    expect(await add.run({ x: 1, y: 2 })).toBe(3);
  });

  it('fib calls itself as subtasks', async () => {
    const inv = await fib.call({ n: 10 });
    expect(await inv.result()).toBe(55);
    expect(await inv.status()).toBe('SUCCESS');
  });

  it('a delayed crawl (dev mode runs it at once, so a cancel finds it finished)', async () => {
    const inv = await crawlLater(3);
    expect(await inv.result()).toBe(3);
    expect((await inv.cancel({ reason: 'no longer needed' })).outcome).toBe('finished');
  });
});
