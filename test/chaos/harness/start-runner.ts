/**
 * One runner of the chaos workload in its own process:
 * `node --import tsx start-runner.ts KIND [processes]`. Prints `ready <runner id>` on stdout;
 * SIGTERM stops it gracefully.
 */
import { fileURLToPath } from 'node:url';
import { app } from './workload.js';

const kind = (process.argv[2] ?? 'thread') as 'thread';
const processes = process.argv[3] ? Number(process.argv[3]) : undefined;
const runner = await app.startRunner({
  runner: kind,
  processes,
  concurrency: 4,
  appModule: fileURLToPath(
    new URL(`./workload${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
  ),
});
process.stdout.write(`ready ${runner.id}\n`);
const stop = () => {
  void runner
    .stop()
    .then(() => app.close())
    .then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await runner.done;
