/**
 * Issue 16: `[tasks.addd]` (a task that does not exist) was accepted in silence by `taskapp run`,
 * leaving `add` on its defaults. The runner warns at start, naming the section and a guess.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_TOML, TASKS_TS, cli, ensureBuilt, project } from './helpers.js';

describe('taskapp run warnings', () => {
  let p: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    await ensureBuilt();
    p = project({
      'taskapp.toml': `${CONFIG_TOML}\n[tasks.addd]\nmax_retries = 3\n`,
      'src/tasks.ts': TASKS_TS,
    });
  });
  afterAll(() => p?.cleanup());

  it('names a [tasks.<name>] section for no task, with a guess', async () => {
    const run = await cli(['run', '--once'], { cwd: p.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /\[tasks\.addd\] in .*taskapp\.toml.* names no registered task; did you mean \[tasks\.add\]\?: its options apply to nothing/,
    );
  });
});
