/**
 * The quickstart in one process: call a few tasks, run a thread runner here, print the results.
 * `npm run example`. The same tasks run from the CLI:
 *   npx taskapp call fib --args '{"n": 10}' --config examples/quickstart/taskapp.toml
 *   npx taskapp run --once --config examples/quickstart/taskapp.toml
 */
import { fileURLToPath } from 'node:url';
import { add, app, fib } from './tasks.js';

app.configure({ configFile: fileURLToPath(new URL('./taskapp.toml', import.meta.url)) });

const runner = await app.startRunner({ runner: 'thread', concurrency: 8 });
try {
  const sum = await add.call({ x: 1, y: 2 });
  console.log(`add(1, 2) = ${await sum.result()}   [invocation ${sum.id}, ${await sum.status()}]`);

  const group = await add.parallelize([
    { x: 10, y: 1 },
    { x: 20, y: 2 },
    { x: 30, y: 3 },
  ]);
  console.log(`parallel adds = ${JSON.stringify(await group.all())}`);

  console.log(`fib(12) = ${await fib.run({ n: 12 }, { timeoutMs: 60_000 })}`);

  const history = await sum.history();
  console.log(`add's history: ${history.map((h) => h.status).join(' -> ')}`);
} finally {
  await runner.stop();
  await app.close();
}
