/** taskapp cancel: the built binary against sqlite in a temp dir, a runner in another process. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIG_TOML,
  TASKS_TS,
  cli,
  collect,
  ensureBuilt,
  project,
  spawnCli,
  waitFor,
} from './helpers.js';

describe('taskapp cancel (sqlite)', () => {
  let p: { dir: string; cleanup: () => void };
  const run = (args: string[]) => cli(args, { cwd: p.dir });
  const json = async (args: string[]) => {
    const r = await run([...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    await ensureBuilt();
    p = project({ 'taskapp.toml': CONFIG_TOML, 'src/tasks.ts': TASKS_TS });
  });
  afterAll(() => p?.cleanup());

  it('cancels waiting invocations at once; a second cancel says they are final', async () => {
    const a = (await run(['call', 'add', '--args', '{"x": 1, "y": 2}'])).stdout.trim();
    const b = (await run(['call', 'add', '--args', '{"x": 3, "y": 4}'])).stdout.trim();
    const out = await run(['cancel', a, b, '--reason', 'not needed']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`${a}  cancelled`);
    expect(out.stdout).toContain(`${b}  cancelled`);
    expect(await json(['status', a])).toMatchObject({ status: 'CANCELLED', final: true });
    expect(await json(['cancel', a])).toEqual([
      { id: a, outcome: 'finished', status: 'CANCELLED' },
    ]);
  });

  it('stops a running invocation held by a runner in another process', async () => {
    const runner = spawnCli(['run'], { cwd: p.dir });
    const done = collect(runner);
    try {
      const id = (await run(['call', 'hang'])).stdout.trim();
      await waitFor(async () => {
        const s = await json(['status', id]);
        return s.status === 'RUNNING' ? true : undefined;
      }, 'hang to run');
      const res = await json(['cancel', id, '--reason', 'stop it']);
      expect(res).toEqual([{ id, outcome: 'requested', status: 'RUNNING' }]);
      const final = await waitFor(async () => {
        const s = await json(['status', id]);
        return s.final ? s : undefined;
      }, 'hang to be cancelled');
      expect(final.status).toBe('CANCELLED');
      expect(JSON.stringify(final)).toContain('stop it');
    } finally {
      runner.kill('SIGTERM');
      await done;
    }
  }, 120_000);

  it('an unknown id exits 1; an over-long reason exits 2, both without a stack', async () => {
    const unknown = await run(['cancel', 'no-such-id']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no invocation with id no-such-id');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const id = (await run(['call', 'add', '--args', '{"x": 1, "y": 2}'])).stdout.trim();
    const long = await run(['cancel', id, '--reason', 'x'.repeat(1001)]);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('reason');
    expect(long.stderr).not.toMatch(/\n\s+at /);
  });
});
