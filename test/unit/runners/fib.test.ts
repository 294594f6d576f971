/** Auto-orchestration: fib(20) is ~22,000 invocations that await each other, on 2 slots. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { taskapp } from '../../../src/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe.each([
  ['memory', {}],
  ['sqlite', { sqlite: { path: join(tmp.dir, 'fib.db') } }],
])('fib(20) on the thread runner with concurrency 2 (%s)', (backend, extra) => {
  it('finishes without deadlock: parents leave their slot while they wait', async () => {
    const app = taskapp({ backend: backend as 'memory' | 'sqlite', ...extra, configFile: false });
    const fib = app.task('fib', async ({ n }: { n: number }): Promise<number> =>
      n <= 1 ? n : (await fib.run({ n: n - 1 })) + (await fib.run({ n: n - 2 })),
    );
    await app.startRunner({ concurrency: 2 });
    try {
      expect(await fib.run({ n: 20 }, { timeoutMs: 240_000 })).toBe(6765);
      const { state } = await runtimeOf(app).backends();
      const counts = await state.countByStatus();
      expect(counts).toEqual({ SUCCESS: 21891 });
    } finally {
      await app.close();
    }
  }, 300_000);
});
