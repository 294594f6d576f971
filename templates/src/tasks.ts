import { taskapp } from 'taskapp';

// One app per project; its settings come from taskapp.toml and TASKAPP__* environment variables.
export const app = taskapp({ appId: '{{app_id}}' });

/** A task is a plain async function taking one object of named arguments. */
export const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y, {
  maxRetries: 2,
});

/** Tasks call tasks: a parent waiting on its children leaves its slot, so this never deadlocks. */
export const fib = app.task('fib', async ({ n }: { n: number }): Promise<number> =>
  n <= 1 ? n : (await fib.run({ n: n - 1 })) + (await fib.run({ n: n - 2 })),
);
