/**
 * Issue 16: `[tasks.addd]` (a task that does not exist) was accepted in silence by `taskapp run`,
 * leaving `add` on its defaults: the runner warns at start, naming the section and a guess. And
 * `call --wait` / `status --watch` waited forever in silence with no runner alive: they say so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_TOML, TASKS_JS, cli, ensureBuilt, project } from './helpers.js';

describe('warnings a newcomer needs', () => {
  let p: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    await ensureBuilt();
    p = project({
      'taskapp.toml': `${CONFIG_TOML}\n[tasks.addd]\nmax_retries = 3\n`,
      'src/tasks.js': TASKS_JS,
    });
  });
  afterAll(() => p?.cleanup());

  it('call --wait and status --watch say when no runner is alive, and --timeout ends the wait', async () => {
    const call = await cli(
      ['call', 'add', '--args', '{"x": 1, "y": 2}', '--wait', '--timeout', '1'],
      {
        cwd: p.dir,
      },
    );
    expect(call.code).toBe(1);
    expect(call.stderr).toMatch(
      /no runner of app "clitest" is alive .*--wait waits until one starts \(taskapp run\); pass --timeout SECONDS to give up/,
    );
    const id = (await cli(['list', '--json'], { cwd: p.dir }).then((r) => JSON.parse(r.stdout)))[0]
      .id as string;
    const watch = await cli(['status', id, '--watch', '--timeout', '1'], { cwd: p.dir });
    expect(watch.code).toBe(1);
    expect(watch.stderr).toMatch(/no runner of app "clitest" is alive .*--watch waits/);
    expect(watch.stderr).toContain(`invocation ${id} did not finish within 1000 ms`);
  });

  it('names a [tasks.<name>] section for no task, with a guess', async () => {
    const run = await cli(['run', '--once'], { cwd: p.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /\[tasks\.addd\] in .*taskapp\.toml.* names no registered task; did you mean \[tasks\.add\]\?: its options apply to nothing/,
    );
  });
});
