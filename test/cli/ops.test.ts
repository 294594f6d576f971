/** Issue 19: taskapp rerun, and progress in taskapp status, through the built binary (sqlite). */
import { describe, expect, it } from 'vitest';
import { TASKS_JS, sqliteProject } from './helpers.js';

const STEPS_JS = `${TASKS_JS}
export const steps = app.task('steps', async ({ n }, ctx) => {
  for (let i = 1; i <= n; i++) ctx.progress(i / n, \`step \${i}/\${n}\`);
  return n;
});
`;

describe('taskapp rerun and progress (sqlite)', () => {
  const { run, json } = sqliteProject({ 'src/tasks.js': STEPS_JS });

  it('reruns failed invocations by status and task, linked; --dry-run changes nothing', async () => {
    const ids: string[] = [];
    for (const why of ['a', 'b']) {
      ids.push((await run(['call', 'boom', '--args', JSON.stringify({ why })])).stdout.trim());
    }
    await run(['call', 'add', '--args', '{"x":1,"y":1}']);
    expect((await run(['run', '--once'])).code).toBe(0);

    const dry = await json(['rerun', '--status', 'failed', '--task', 'boom', '--dry-run']);
    expect(dry).toMatchObject({ dryRun: true, reruns: [] });
    expect([...dry.matched].sort()).toEqual([...ids].sort());

    const done = await json(['rerun', '--status', 'FAILED', '--since', '1h']);
    expect(done.reruns).toHaveLength(2);
    const link = done.reruns.find((r: { rerunOf: string }) => r.rerunOf === ids[0]);
    const status = await json(['status', link.id]);
    expect(status).toMatchObject({ task: 'boom', args: { why: 'a' }, rerunOf: ids[0] });
    expect((await run(['status', link.id])).stdout).toContain(`rerun of   ${ids[0]}`);

    const one = await json(['rerun', ids[1]!]);
    expect(one.reruns).toEqual([{ id: expect.any(String), rerunOf: ids[1] }]);
  });

  it('refuses a rerun without a selection, or of unfinished statuses, with exit 2', async () => {
    const none = await run(['rerun']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('rerun needs invocation ids or --status');
    const running = await run(['rerun', '--status', 'RUNNING']);
    expect(running.code).toBe(2);
    expect(running.stderr).toContain('only finished invocations can be rerun');
  });

  it('status shows the last progress a task reported', async () => {
    const id = (await run(['call', 'steps', '--args', '{"n":50}'])).stdout.trim();
    expect((await run(['run', '--once'])).code).toBe(0);
    expect(await json(['status', id])).toMatchObject({
      status: 'SUCCESS',
      progress: { value: 1, message: 'step 50/50' },
    });
    expect((await run(['status', id])).stdout).toMatch(/progress\s+\[#{20}\] 100% step 50\/50/);
  });
});
