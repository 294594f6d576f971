/**
 * Issue 16: `TASKAPP__BACKEND=memory taskapp call ...` printed an id whose invocation was gone when
 * the command exited. One-shot commands refuse the memory backend, saying why and what to use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_TOML, TASKS_JS, cli, ensureBuilt, project } from './helpers.js';

describe('one-shot commands on the memory backend', () => {
  let p: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    await ensureBuilt();
    p = project({ 'taskapp.toml': CONFIG_TOML, 'src/tasks.js': TASKS_JS });
  });
  afterAll(() => p?.cleanup());

  it('call and list refuse it with the fix; tasks still works', async () => {
    const env = { TASKAPP__BACKEND: 'memory' };
    const call = await cli(['call', 'add', '--args', '{"x": 1, "y": 2}'], { cwd: p.dir, env });
    expect(call.code).toBe(2);
    expect(call.stdout).toBe('');
    expect(call.stderr).toContain('the memory backend keeps invocations inside one process');
    expect(call.stderr).toContain('env TASKAPP__BACKEND');
    expect(call.stderr).toContain('TASKAPP__BACKEND=sqlite');
    const list = await cli(['list', '--json'], { cwd: p.dir, env });
    expect(list.code).toBe(2);
    expect(JSON.parse(list.stdout).error).toMatchObject({ code: 'USAGE', exitCode: 2 });
    const tasks = await cli(['tasks'], { cwd: p.dir, env });
    expect(tasks.code, tasks.stderr).toBe(0);
  });
});
