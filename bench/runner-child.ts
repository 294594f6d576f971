/**
 * `--runners K`: one of the K runner processes (forked by bench/run.ts with its TASKAPP_BENCH_CONFIG).
 * It starts its runner without claiming, says 'ready' once settled (settle.ts), claims on 'go', and on 'stop' answers with its
 * resident memory and stops.
 */
import { fileURLToPath } from 'node:url';
import { keptHeapMb } from './full-gc.js';
import { settle } from './settle.js';
import { keepYoungGenerationSmall } from '../src/runners/young-generation.js';

const [runner, concurrency, processes] = process.argv.slice(2);
const appModule = fileURLToPath(
  new URL(`./bench-app${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);
// As `taskapp run` starts its runner (src/cli/run-runner.ts).
keepYoungGenerationSmall();
const { app } = await import(appModule);
const r = await app.startRunner({
  runner,
  concurrency: Number(concurrency),
  appModule,
  autorun: false,
  ...(processes ? { processes: Number(processes) } : {}),
});
process.on('message', (m: string) => {
  if (m === 'go') {
    r.run();
  } else if (m === 'stop') {
    void keptHeapMb()
      .then((heapMb) =>
        process.send!({ rssMb: Math.round(process.memoryUsage().rss / 1048576), heapMb }),
      )
      .then(() => r.stop())
      .then(() => app.close())
      .then(() => process.exit(0));
  }
});
await settle();
process.send!('ready');
