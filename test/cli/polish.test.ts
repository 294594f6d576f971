/** Issue #16 "Confusing" and "Polish" items: the built binary against sqlite in a temp dir. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TASKS_TS, configToml, cli, ensureBuilt, project } from './helpers.js';

const EVENT_TASKS_TS = `${TASKS_TS}
import { on } from 'taskapp';
export const welcome = app.task('welcome', async ({ userId }: { userId: number }) => userId, {
  triggers: on.event('user.signup'),
});
`;

describe('taskapp polish (sqlite)', () => {
  let p: { dir: string; cleanup: () => void };
  const run = (args: string[], env?: Record<string, string>) => cli(args, { cwd: p.dir, env });

  beforeAll(async () => {
    await ensureBuilt();
    p = project({ 'taskapp.toml': configToml('src/tasks.ts'), 'src/tasks.ts': EVENT_TASKS_TS });
  });
  afterAll(() => p?.cleanup());

  it('emit of a code nothing listens to warns with the known codes, exit 0', async () => {
    const heard = await run(['emit', 'user.signup', '--payload', '{"userId": 7}']);
    expect(heard.code, heard.stderr).toBe(0);
    expect(heard.stderr).not.toContain('warning');
    const unheard = await run(['emit', 'user.signup2', '--payload', '{"userId": 7}']);
    expect(unheard.code, unheard.stderr).toBe(0);
    expect(unheard.stdout.trim()).not.toBe('');
    expect(unheard.stderr).toContain('no trigger listens to event "user.signup2"');
    expect(unheard.stderr).toContain('known event codes: user.signup');
  });

  it('emit refuses a payload that is not a JSON object', async () => {
    const r = await run(['emit', 'user.signup', '--payload', '[1]']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--payload must be a JSON object');
    expect(r.stderr).toContain('[1]');
  });

  it('list --json shows the runner of a finished invocation; status --json its workflow', async () => {
    const called = await run(['call', 'add', '--args', '{"x": 2, "y": 3}']);
    expect(called.code, called.stderr).toBe(0);
    const id = called.stdout.trim();
    const drained = await run(['run', '--once']);
    expect(drained.code, drained.stderr).toBe(0);
    const status = await run(['status', id, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const view = JSON.parse(status.stdout);
    expect(view).toMatchObject({ status: 'SUCCESS', workflowId: id });
    expect(view.runner).toEqual(expect.any(String));
    const list = await run(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const row = JSON.parse(list.stdout).find((v: { id: string }) => v.id === id);
    expect(row).toMatchObject({ status: 'SUCCESS', runner: view.runner, workflowId: id });
  });

  it('a task module with a syntax error: the file, line and error; list and status still work', async () => {
    const called = await run(['call', 'add', '--args', '{"x": 1, "y": 2}']);
    expect(called.code, called.stderr).toBe(0);
    const id = called.stdout.trim();
    writeFileSync(
      join(p.dir, 'src/tasks.ts'),
      `${EVENT_TASKS_TS}\nexport const broken = app.task('broken', async () => 1 +);\n`,
    );
    try {
      const call = await run(['call', 'add', '--args', '{"x": 1, "y": 2}']);
      expect(call.code).toBe(2);
      expect(call.stderr).toMatch(/src\/tasks\.ts:\d+:\d+: ERROR: /);
      expect(call.stderr).not.toContain('--verbose for the stack)\n    at');

      const list = await run(['list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout).map((v: { id: string }) => v.id)).toContain(id);
      expect(list.stderr).toMatch(/src\/tasks\.ts:\d+:\d+: ERROR: /);

      const status = await run(['status', id, '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ id, task: 'add' });
    } finally {
      writeFileSync(join(p.dir, 'src/tasks.ts'), EVENT_TASKS_TS);
    }
  });

  it("topic help has its own text, not a subcommand's", async () => {
    const top = await run(['--help']);
    expect(top.code, top.stderr).toBe(0);
    const topics = top.stdout.slice(top.stdout.indexOf('TOPICS'), top.stdout.indexOf('COMMANDS'));
    expect(topics).toMatch(/trigger\s+List, pause, resume and fire triggers/);
    expect(topics).not.toContain('Fire a trigger now');
    const trigger = await run(['trigger', '--help']);
    expect(trigger.stdout.split('\n')[0]).toBe('List, pause, resume and fire triggers');
  });

  it('run --help and the README agree: concurrency is per child for process runners', async () => {
    const help = await run(['run', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      'per child for multi-thread and persistent-process',
    );
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('per child for `multi-thread` and `persistent-process`');
  });

  it('the README says how to install from npm and from a tarball', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const install = readme.slice(
      readme.indexOf('## Install'),
      readme.indexOf('\n## ', readme.indexOf('## Install') + 1),
    );
    expect(install).toContain('npm install taskapp');
    expect(install).toMatch(/npm install \S+\.tgz/);
  });

  it('purge says how many invocations it would delete', async () => {
    const list = JSON.parse(
      (await run(['list', '--status', 'SUCCESS,FAILED', '--limit', '1000', '--json'])).stdout,
    );
    expect(list.length).toBeGreaterThan(0);
    const refused = await run(['purge']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`purge would delete ${list.length} finished invocations`);
    expect(refused.stderr).toContain('pass --yes');
  });
});
