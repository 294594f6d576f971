import { taskapp } from 'taskapp';

export const app = taskapp({ appId: 'quickstart' });

export const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);

/** Recursive on purpose: each call is its own invocation; a parent waiting on children frees its slot. */
export const fib = app.task('fib', async ({ n }: { n: number }): Promise<number> =>
  n <= 1 ? n : (await fib.run({ n: n - 1 })) + (await fib.run({ n: n - 2 })),
);
