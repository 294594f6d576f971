/**
 * Issue 16: commands run from a project's subfolder find the project's config (searched upwards to
 * the folder holding package.json, as --help says), and the sqlite database stays where the config
 * file puts it, relative to that file, not to the current folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_TOML, TASKS_JS, cli, ensureBuilt, project } from './helpers.js';

describe('commands from a subfolder', () => {
  let p: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    await ensureBuilt();
    p = project({ 'taskapp.toml': CONFIG_TOML, 'src/tasks.js': TASKS_JS });
  });
  afterAll(() => p?.cleanup());

  it('call, run and list from src/ use the project config and its database', async () => {
    const src = join(p.dir, 'src');
    const call = await cli(['call', 'add', '--args', '{"x": 2, "y": 5}'], { cwd: src });
    expect(call.code, call.stderr).toBe(0);
    const id = call.stdout.trim();
    const run = await cli(['run', '--once'], { cwd: src });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('app=clitest');
    const list = await cli(['list', '--json'], { cwd: src });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ id, status: 'SUCCESS' }]);
    expect(existsSync(join(p.dir, '.taskapp', 'test.db'))).toBe(true);
    expect(existsSync(join(src, '.taskapp'))).toBe(false);
  });
});
