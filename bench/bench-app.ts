/**
 * The benchmark's app: one no-op `add` task. Its config comes from TASKAPP_BENCH_CONFIG (JSON) so
 * that the children of process-based runners, which import this module, build the same app.
 */
import { taskapp, type TaskappOptions } from '../src/index.js';

const cfg = JSON.parse(process.env.TASKAPP_BENCH_CONFIG ?? '{}') as TaskappOptions;
export const app = taskapp({ configFile: false, ...cfg });
export const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
