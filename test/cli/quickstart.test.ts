/** examples/quickstart works from the CLI (call, run --once, status) and as `npm run example`. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { ROOT, cli, ensureBuilt, sh } from './helpers.js';

describe('examples/quickstart', () => {
  let t: { dir: string; cleanup: () => void };
  let env: Record<string, string>;
  const CONFIG = ['--config', 'examples/quickstart/taskapp.toml'];

  beforeAll(async () => {
    await ensureBuilt();
    t = tempDir('taskapp-quickstart-');
    env = { TASKAPP__SQLITE__PATH: JSON.stringify(join(t.dir, 'quickstart.db')) };
  });
  afterAll(() => t?.cleanup());

  it('calls, then run --once, then status', async () => {
    const add = (
      await cli(['call', 'add', '--args', '{"x": 1, "y": 2}', ...CONFIG], { cwd: ROOT, env })
    ).stdout.trim();
    const fib = (
      await cli(['call', 'fib', '--args', '{"n": 8}', ...CONFIG], { cwd: ROOT, env })
    ).stdout.trim();
    const run = await cli(['run', '--once', ...CONFIG], { cwd: ROOT, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('app=quickstart backend=sqlite');
    const status = async (id: string) =>
      JSON.parse((await cli(['status', id, '--json', ...CONFIG], { cwd: ROOT, env })).stdout);
    expect(await status(add)).toMatchObject({ status: 'SUCCESS', result: 3 });
    expect(await status(fib)).toMatchObject({ status: 'SUCCESS', result: 21 });
  });

  it('npm run example prints the results', async () => {
    const r = await sh('npm', ['run', '--silent', 'example'], { cwd: ROOT, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('add(1, 2) = 3');
    expect(r.stdout).toContain('parallel adds = [11,22,33]');
    expect(r.stdout).toContain('fib(12) = 144');
    expect(r.stdout).toContain("add's history: REGISTERED -> PENDING -> RUNNING -> SUCCESS");
  });
});
