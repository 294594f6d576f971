/**
 * User mistakes exit 2 with the field, the value, the source (file:line or env var) and a fix, and
 * no stack; --verbose or TASKAPP__LOGGING_LEVEL=debug adds the stack.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASKS_TS, cli, ensureBuilt, project } from './helpers.js';

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('taskapp errors', () => {
  let p: { dir: string; cleanup: () => void };
  const withConfig = (toml: string, args: string[], env?: Record<string, string>) => {
    writeFileSync(join(p.dir, 'taskapp.toml'), toml);
    return cli(args, { cwd: p.dir, env });
  };
  const BASE = 'app_id = "errs"\ntasks = ["src/tasks.ts"]\n';

  beforeAll(async () => {
    await ensureBuilt();
    p = project({
      'src/tasks.ts': TASKS_TS,
      'src/other-app.ts': `import { taskapp } from 'taskapp';\nexport const app = taskapp({ appId: 'other' });\n`,
      'src/no-app.ts': 'export const answer = 42;\n',
    });
  });
  afterAll(() => p?.cleanup());

  it('unknown field: did-you-mean, file:line, fix; exit 2, no stack', async () => {
    const r = await withConfig(`${BASE}[runner]\nconcurency = 4\n`, ['config', 'show']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown field "runner.concurency"');
    expect(r.stderr).toMatch(/from file \S+taskapp\.toml:4/);
    expect(r.stderr).toContain('did you mean "runner.concurrency"?');
    expect(r.stderr).toContain('fix: rename "runner.concurency" to "runner.concurrency"');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('unknown top-level field suggests the section field', async () => {
    const r = await withConfig(`${BASE}concurrency = 4\n`, ['tasks']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "runner.concurrency"?');
  });

  it('wrong type names field, value, source and fix', async () => {
    const r = await withConfig(`${BASE}[runner]\nconcurrency = "lots"\n`, ['run', '--once']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /field "runner.concurrency" = "lots" \(from file \S+taskapp\.toml:4\) is invalid: expected number/,
    );
    expect(r.stderr).toContain('fix: set runner.concurrency to a number without quotes');
  });

  it('wrong type from env names the variable', async () => {
    const r = await withConfig(BASE, ['config', 'show'], { TASKAPP__RUNNER__CONCURRENCY: 'many' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'field "runner.concurrency" = "many" (from env TASKAPP__RUNNER__CONCURRENCY)',
    );
  });

  it('unknown backend lists the known ones', async () => {
    // Any package name may be a backend plugin (issue 21): one that is not installed fails at start.
    const r = await withConfig(`${BASE}backend = "mongo"\n`, ['run', '--once']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'backend "mongo" is not built in (memory, sqlite, redis, postgres, rabbitmq) and no package of that name is installed',
    );
    expect(r.stderr).toContain(
      'fix: if it is a backend package, install it in your project (npm install mongo); else use a built-in backend: memory, sqlite, redis, postgres',
    );
    // A near miss of a built-in name is a typo, refused with the name meant.
    const typo = await withConfig(`${BASE}backend = "postgress"\n`, ['run', '--once']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /field "backend" = "postgress" \(from file \S+taskapp\.toml:3\) is invalid: "postgress" is not a backend; did you mean "postgres"\?/,
    );
  });

  it('unknown runner, in config and as a flag', async () => {
    const r = await withConfig(`${BASE}[runner]\nkind = "fiber"\n`, ['run', '--once']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /field "runner.kind" = "fiber" \(from file \S+:4\) is invalid: expected one of: thread, multi-thread, process, persistent-process/,
    );
    const f = await withConfig(BASE, ['run', '--once', '--runner', 'fiber']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(
      /Expected --runner=fiber to be one of: thread, multi-thread,\s+(›\s+)?process, persistent-process/,
    );
  });

  it('bad TOML points at file:line', async () => {
    const r = await withConfig(`${BASE}[runner\nkind = "thread"\n`, ['config', 'show']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/taskapp\.toml:3:\d+: invalid TOML/);
    expect(r.stderr).toContain('fix: fix the TOML syntax at that line');
    expect(r.stderr).not.toMatch(STACK);
  });

  it('--verbose and TASKAPP__LOGGING_LEVEL=debug show the stack', async () => {
    const verbose = await withConfig(`${BASE}[runner\n`, ['config', 'show', '--verbose']);
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(STACK);
    const debug = await withConfig(`${BASE}backend = "postgress"\n`, ['config', 'show'], {
      TASKAPP__LOGGING_LEVEL: 'debug',
    });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(STACK);
  });

  it('task modules: none configured, none exporting an app, two apps', async () => {
    const none = await withConfig('app_id = "errs"\n', ['run', '--once']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no task modules');
    const noApp = await withConfig('tasks = ["src/no-app.ts"]\n', ['tasks']);
    expect(noApp.code).toBe(2);
    expect(noApp.stderr).toContain('task module src/no-app.ts exports no taskapp App');
    const two = await withConfig('tasks = ["src/tasks.ts", "src/other-app.ts"]\n', ['tasks']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('task modules export 2 different apps:');
    expect(two.stderr).toContain('app "clitest" in src/tasks.ts');
    expect(two.stderr).toContain('app "other" in src/other-app.ts');
    const glob = await withConfig('tasks = ["src/nothing/*.ts"]\n', ['tasks']);
    expect(glob.code).toBe(2);
    expect(glob.stderr).toContain('"src/nothing/*.ts" matches no file');
  });

  it('call: unknown task, bad --args, missing config file', async () => {
    const unknown = await withConfig(BASE, ['call', 'sub', '--args', '{}']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown task "sub" (known: add, boom, hang)');
    const badJson = await withConfig(BASE, ['call', 'add', '--args', '{x: 1}']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('--args is not valid JSON');
    const arr = await withConfig(BASE, ['call', 'add', '--args', '[1, 2]']);
    expect(arr.code).toBe(2);
    expect(arr.stderr).toContain('--args must be a JSON object of named arguments, got an array');
    const missing = await cli(['tasks', '--config', 'nope.toml'], { cwd: p.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/config file \S+nope\.toml does not exist/);
  });

  it('call: --args-file and --args - (stdin) carry arguments past the 128 KiB command-line limit', async () => {
    const env = { TASKAPP__DEV_MODE_FORCE_SYNC: 'true' };
    const big = JSON.stringify({ x: 1, y: 2, pad: 'p'.repeat(300_000) });
    writeFileSync(join(p.dir, 'big-args.json'), big);
    const fromFile = await withConfig(
      BASE,
      ['call', 'add', '--args-file', 'big-args.json', '--wait'],
      env,
    );
    expect(fromFile.stderr).not.toContain('Error');
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout.trim()).toBe('3');
    const fromStdin = await cli(['call', 'add', '--args', '-', '--wait'], {
      cwd: p.dir,
      env,
      input: big,
    });
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout.trim()).toBe('3');
    const missing = await cli(['call', 'add', '--args-file', 'nope.json'], { cwd: p.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--args-file nope.json cannot be read: ENOENT');
    const badStdin = await cli(['call', 'add', '--args', '-'], { cwd: p.dir, input: '[1]' });
    expect(badStdin.code).toBe(2);
    expect(badStdin.stderr).toContain('--args - (stdin) must be a JSON object of named arguments');
  });

  it('usage errors under --json exit 2 with a short JSON error (code, message, fix)', async () => {
    for (const args of [
      ['call', '--json'],
      ['call', 'add', '--json', '--bogus'],
      ['list', '--json', '--limit', 'abc'],
      ['call', 'add', '--json', '--args', '{}', '--args-file', 'x.json'],
    ]) {
      const r = await withConfig(BASE, args);
      expect(r.code, args.join(' ')).toBe(2);
      const out = JSON.parse(r.stdout) as { error: Record<string, unknown> };
      expect(out.error).toMatchObject({ code: 'USAGE', exitCode: 2 });
      expect(out.error.fix).toMatch(/^see taskapp (call|list) --help$/);
      expect(Object.keys(out.error).sort()).toEqual(['code', 'exitCode', 'fix', 'message']);
    }
  });

  it('a task name with control characters is refused when the module loads, exit 2', async () => {
    writeFileSync(
      join(p.dir, 'src/bad-name.ts'),
      `import { taskapp } from 'taskapp';\nexport const app = taskapp({ appId: 'bad' });\napp.task('two\\nlines', async () => 1);\n`,
    );
    const r = await withConfig('app_id = "bad"\ntasks = ["src/bad-name.ts"]\n', ['tasks']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'task name "two\\nlines" is invalid: it must not contain control characters',
    );
  });
});
