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

/**
 * A long task that can be cancelled: `await inv.cancel({ reason })` or `npx taskapp cancel ID`
 * aborts ctx.signal, and the task ends early (a task that ignores its signal is stopped after a
 * grace period where its runner can: a child process or worker thread is killed).
 */
export const crawl = app.task('crawl', async ({ pages }: { pages: number }, ctx) => {
  let done = 0;
  while (done < pages && !ctx.signal.aborted) {
    await new Promise((r) => setTimeout(r, 10));
    done++;
  }
  return done;
});

/**
 * A call can wait: `{ delayMs }` or `{ runAt: new Date(...) }` (or `npx taskapp call crawl --args
 * '{"pages": 100}' --delay 10m`). Until then it is REGISTERED, and a cancel means it never runs.
 */
export async function crawlLater(pages: number, delayMs = 10 * 60_000) {
  return crawl.call({ pages }, { delayMs });
}
