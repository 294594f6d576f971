/** call, run, status, list, tasks, config show, purge, recover: the built binary against sqlite in a temp dir. */
import { describe, expect, it } from 'vitest';
import { TASKS_JS, collect, spawnCli, sqliteProject } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('taskapp commands (sqlite)', () => {
  const { dir, run, json, waitUntil } = sqliteProject({ 'src/tasks.js': TASKS_JS });

  it('run --prefetch: the banner names it, and the queue drains with each invocation run once', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(async (x) => {
        const c = await run(['call', 'add', '--args', JSON.stringify({ x, y: 10 })]);
        expect(c.code, c.stderr).toBe(0);
        return c.stdout.trim();
      }),
    );
    const drained = await run(['run', '--once', '--concurrency', '1', '--prefetch', '5']);
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stderr).toMatch(/runner=thread \(concurrency 1, prefetch 5\)/);
    for (const [k, id] of ids.entries()) {
      const st = await json(['status', id]);
      expect(st).toMatchObject({ status: 'SUCCESS', result: k + 11, attempts: 1 });
    }
    const bad = await run(['run', '--once', '--prefetch', '20000']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--prefetch');
  });

  it('call prints the id; run --once drains; status shows result and history', async () => {
    const called = await run(['call', 'add', '--args', '{"x": 2, "y": 3}']);
    expect(called.code, called.stderr).toBe(0);
    const id = called.stdout.trim();
    expect(id).toMatch(UUID);

    const before = await json(['status', id]);
    expect(before).toMatchObject({
      id,
      task: 'add',
      status: 'REGISTERED',
      args: { x: 2, y: 3 },
      final: false,
    });

    const drained = await run(['run', '--once']);
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stderr).toMatch(
      /app=clitest backend=sqlite runner=thread \(concurrency 8\) tasks=3 \[add, boom, hang\] from 1 module/,
    );
    expect(drained.stderr).toContain('queue drained');

    const after = await json(['status', id]);
    expect(after).toMatchObject({ status: 'SUCCESS', result: 5, attempts: 1, final: true });
    expect(after.history.map((h: { status: string }) => h.status)).toEqual([
      'REGISTERED',
      'PENDING',
      'RUNNING',
      'SUCCESS',
    ]);
    expect(after.runner).toMatch(/^thread@/);

    const text = await run(['status', id]);
    expect(text.stdout).toMatch(/status\s+SUCCESS/);
    expect(text.stdout).toMatch(/result\s+5/);
    expect(text.stdout).toMatch(
      /History[\s\S]*REGISTERED[\s\S]*PENDING[\s\S]*RUNNING[\s\S]*SUCCESS/,
    );
  });

  it('call --wait prints the result while a runner runs; SIGTERM stops the runner cleanly', async () => {
    const runner = spawnCli(['run'], { cwd: dir() });
    const done = collect(runner);
    try {
      const r = await run(['call', 'add', '--args', '{"x": 20, "y": 22}', '--wait']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('42');

      const failed = await run(['call', 'boom', '--args', '{"why": "no luck"}', '--wait']);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/ended FAILED: RangeError: no luck/);
      expect(failed.stderr).toMatch(/taskapp status [0-9a-f-]{36}/);
      expect(failed.stderr).not.toMatch(/^\s+at /m);

      const id = /taskapp status ([0-9a-f-]{36})/.exec(failed.stderr)![1]!;
      const view = await json(['status', id]);
      expect(view).toMatchObject({
        status: 'FAILED',
        error: { name: 'RangeError', message: 'no luck' },
      });
      expect(view.error.stack).toMatch(/RangeError: no luck\n\s+at /);
    } finally {
      runner.kill('SIGTERM');
    }
    const stopped = await done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('SIGTERM: stopping');
    expect(stopped.stderr).toContain('runner stopped');
  });

  it('status of an unknown id exits 1 and says so', async () => {
    const r = await run(['status', 'no-such-id']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no invocation with id no-such-id');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const j = await run(['status', 'no-such-id', '--json']);
    expect(j.code).toBe(1);
    const error = JSON.parse(j.stdout).error;
    expect(error).toMatchObject({ code: 'INVOCATION_NOT_FOUND', exitCode: 1 });
    expect(error.message).toBe('no invocation with id no-such-id');
    expect(error.fix).toMatch(/taskapp list shows recent ones/);
  });

  it('list filters by task, status and age', async () => {
    const adds = await json(['list', '--task', 'add', '--status', 'SUCCESS']);
    expect(adds.length).toBeGreaterThanOrEqual(2);
    expect(
      adds.every(
        (v: { task: string; status: string }) => v.task === 'add' && v.status === 'SUCCESS',
      ),
    ).toBe(true);
    // Any case: `--status success` is the same filter.
    expect(await json(['list', '--task', 'add', '--status', 'success'])).toEqual(adds);
    const wrong = await run(['list', '--status', 'done']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--status "done" is not a status');
    const failed = await json(['list', '--status', 'FAILED', '--since', '1h', '--limit', '5']);
    expect(failed.map((v: { task: string }) => v.task)).toEqual(['boom']);
    const none = await json(['list', '--task', 'nope']);
    expect(none).toEqual([]);
    const table = await run(['list', '--limit', '1']);
    expect(table.stdout).toMatch(/^ID\s+TASK\s+STATUS/);
    const bad = await run(['list', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday" is not a duration');
  });

  it('tasks and config show --explain show env overrides with their source', async () => {
    const env = { TASKAPP__TASKS__ADD__MAX_RETRIES: '3', TASKAPP__RUNNER__CONCURRENCY: '16' };
    const tasks = await json(['tasks'], env);
    const add = tasks.find((t: { task: string }) => t.task === 'add');
    expect(add.options.max_retries).toBe(3);
    expect(add.sources.max_retries).toBe('env TASKAPP__TASKS__ADD__MAX_RETRIES');
    expect(add.sources.priority).toBe('default');

    const shown = await run(['config', 'show', '--explain'], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^concurrency = 16\s+# env TASKAPP__RUNNER__CONCURRENCY$/m);
    expect(shown.stdout).toMatch(/^app_id = "clitest"\s+# file taskapp.toml:1$/m);
    expect(shown.stdout).toMatch(/^claim_batch_size = 100\s+# default$/m);
    const fields = (await json(['config', 'show', '--explain'], env)).fields as Array<{
      path: string;
      value: unknown;
      source: string;
    }>;
    expect(fields.find((f) => f.path === 'runner.concurrency')).toEqual({
      path: 'runner.concurrency',
      value: 16,
      source: 'env TASKAPP__RUNNER__CONCURRENCY',
    });
    expect(fields.find((f) => f.path === 'sqlite.poll_interval_ms')?.source).toMatch(
      /taskapp\.toml:9$/,
    );
  });

  it('recover reroutes the work of a runner that died', async () => {
    const id = (await run(['call', 'hang'])).stdout.trim();
    const runner = spawnCli(['run'], { cwd: dir() });
    const exited = collect(runner);
    await waitUntil(id, (r) => r.status === 'RUNNING', 'hang to be RUNNING');
    runner.kill('SIGKILL');
    await exited;

    const report = await json(['recover'], { TASKAPP__RUNNER__RUNNER_DEAD_AFTER_SECONDS: '0.001' });
    expect(report.running).toEqual([id]);
    expect(report.deadRunners).toHaveLength(1);
    const view = await json(['status', id]);
    expect(view.status).toBe('REROUTED');
    expect(view.history.map((h: { status: string }) => h.status).slice(-3)).toEqual([
      'RUNNING',
      'RUNNING_RECOVERY',
      'REROUTED',
    ]);

    const again = await json(['recover'], { TASKAPP__RUNNER__RUNNER_DEAD_AFTER_SECONDS: '0.001' });
    expect(again).toEqual({ deadRunners: [], running: [], pending: [], failed: [], stranded: [] });
  });

  it('purge needs --yes without a terminal, then deletes only finished invocations', async () => {
    const refused = await run(['purge']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --yes');
    const res = await json(['purge', '--yes']);
    expect(res.purged).toBeGreaterThanOrEqual(3);
    expect(await json(['list', '--status', 'SUCCESS,FAILED'])).toEqual([]);
    const left = await json(['list']);
    expect(left.map((v: { task: string; status: string }) => `${v.task}:${v.status}`)).toEqual([
      'hang:REROUTED',
    ]);
  });
});
