/** `taskapp run --runner KIND`: the process-based runners import every task module in their children. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ensureBuilt, project } from './helpers.js';

const APP_TS = `
import { taskapp } from 'taskapp';
export const app = taskapp({ appId: 'split' });
export const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
`;
// A second module that only exports a task: its children must import it too.
const MORE_TS = `
import { app } from './app.js';
export const mul = app.task('mul', async ({ x, y }: { x: number; y: number }) => ({ product: x * y }));
`;
const TOML = `app_id = "split"
backend = "sqlite"
[tasks]
modules = ["src/*.ts"]
[sqlite]
path = ".taskapp/split.db"
poll_interval_ms = 10
`;

describe.each(['persistent-process', 'process', 'multi-thread'])(
  'taskapp run --runner %s',
  (runner) => {
    let p: { dir: string; cleanup: () => void };
    beforeAll(async () => {
      await ensureBuilt();
      p = project({ 'taskapp.toml': TOML, 'src/app.ts': APP_TS, 'src/more.ts': MORE_TS });
    });
    afterAll(() => p?.cleanup());

    it('runs tasks from every task module in its children, then drains with --once', async () => {
      const run = (args: string[]) => cli(args, { cwd: p.dir });
      const a = (await run(['call', 'add', '--args', '{"x": 2, "y": 3}'])).stdout.trim();
      const m = (await run(['call', 'mul', '--args', '{"x": 4, "y": 5}'])).stdout.trim();
      const drained = await run(['run', '--once', '--runner', runner, '--processes', '2']);
      expect(drained.code, drained.stderr).toBe(0);
      expect(drained.stderr).toContain(`runner=${runner}`);
      const status = async (id: string) => JSON.parse((await run(['status', id, '--json'])).stdout);
      expect(await status(a)).toMatchObject({ status: 'SUCCESS', result: 5 });
      expect(await status(m)).toMatchObject({ status: 'SUCCESS', result: { product: 20 } });
    }, 150_000); // five CLI processes, two of them starting runner children: slow on a busy machine
  },
);
