/**
 * A producer app and a worker app on the same backend config (as two hosts would be), both with an
 * `add` task that counts how often it ran in this process: fault tests compare that count with
 * what the backend says (exactly once, or once plus each recovery).
 */
import { taskapp, type TaskappOptions } from '../../src/index.js';

export function countingAddApps(cfg: TaskappOptions) {
  const producer = taskapp(cfg);
  const worker = taskapp(cfg);
  const counter = { executions: 0 };
  const define = (app: typeof producer) =>
    app.task('add', async ({ x, y }: { x: number; y: number }) => {
      counter.executions++;
      await new Promise((r) => setTimeout(r, 2));
      return x + y;
    });
  const add = define(producer);
  define(worker);
  return { producer, worker, add, counter };
}
