/** taskapp task pause / resume and the paused mark in taskapp tasks: the built binary against sqlite. */
import { describe, expect, it } from 'vitest';
import { isFinal } from '../../src/index.js';
import { TASKS_JS, collect, spawnCli, sqliteProject } from './helpers.js';

describe('taskapp task pause / resume (sqlite)', () => {
  const { dir, run, json, waitUntil } = sqliteProject({ 'src/tasks.js': TASKS_JS });
  const final = async (id: string) => {
    await waitUntil(id, (r) => isFinal(r.status), `${id} to finish`);
    return json(['status', id]);
  };

  it('a paused task waits while a runner in another process runs the others; resume runs it', async () => {
    const first = (await run(['call', 'add', '--args', '{"x": 1, "y": 2}'])).stdout.trim();
    const out = await run(['task', 'pause', 'add']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('paused add (1 queued invocation(s) now wait)');
    const views = (await json(['tasks'])) as Array<{ task: string; paused?: { parked: number } }>;
    expect(views.find((v) => v.task === 'add')?.paused).toEqual({ parked: 1 });
    expect(views.find((v) => v.task === 'boom')?.paused).toBeUndefined();
    expect((await run(['tasks'])).stdout).toContain('paused (1 waiting; taskapp task resume add)');

    const runner = spawnCli(['run'], { cwd: dir() });
    const done = collect(runner);
    try {
      const second = (await run(['call', 'add', '--args', '{"x": 3, "y": 4}'])).stdout.trim();
      // Called after `second` (queue order): once it has run, the runner has taken `second` too.
      const marker = (await run(['call', 'boom', '--args', '{"why": "marker"}'])).stdout.trim();
      expect((await final(marker)).status).toBe('FAILED');
      expect(await json(['status', first])).toMatchObject({ status: 'REGISTERED' });
      expect(await json(['status', second])).toMatchObject({ status: 'REGISTERED' });

      expect(await json(['task', 'resume', 'add'])).toEqual({ task: 'add', resumed: 2 });
      expect(await final(first)).toMatchObject({ status: 'SUCCESS', result: 3 });
      expect(await final(second)).toMatchObject({ status: 'SUCCESS', result: 7 });
    } finally {
      runner.kill('SIGTERM');
      await done;
    }
  });

  it('an unknown task exits 2 naming it and the known ones', async () => {
    const r = await run(['task', 'pause', 'addd']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown task "addd"');
    expect(r.stderr).toContain('add');
  });
});
