/** taskapp cancel and call --delay/--at/--priority: the built binary against sqlite in a temp dir. */
import { describe, expect, it } from 'vitest';
import { isFinal } from '../../src/index.js';
import { TASKS_JS, collect, spawnCli, sqliteProject } from './helpers.js';

describe('taskapp cancel (sqlite)', () => {
  const { dir, run, json, waitUntil } = sqliteProject({ 'src/tasks.js': TASKS_JS });

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
    const runner = spawnCli(['run'], { cwd: dir() });
    const done = collect(runner);
    try {
      const id = (await run(['call', 'hang'])).stdout.trim();
      await waitUntil(id, (r) => r.status === 'RUNNING', 'hang to run');
      const res = await json(['cancel', id, '--reason', 'stop it']);
      expect(res).toEqual([{ id, outcome: 'requested', status: 'RUNNING' }]);
      await waitUntil(id, (r) => isFinal(r.status), 'hang to be cancelled');
      const final = await json(['status', id]);
      expect(final.status).toBe('CANCELLED');
      expect(JSON.stringify(final)).toContain('stop it');
    } finally {
      runner.kill('SIGTERM');
      await done;
    }
  });

  it('call --delay / --at / --priority: stored waiting with the priority asked; bad values exit 2 naming the flag', async () => {
    const id = (
      await run(['call', 'add', '--args', '{"x": 1, "y": 2}', '--delay', '10m', '--priority', '8'])
    ).stdout.trim();
    expect(await json(['status', id])).toMatchObject({ status: 'REGISTERED', priority: 8 });
    const soon = new Date(Date.now() + 3600_000).toISOString();
    const at = (
      await run(['call', 'add', '--args', '{"x": 1, "y": 2}', '--at', soon])
    ).stdout.trim();
    expect(await json(['status', at])).toMatchObject({ status: 'REGISTERED' });
    const cases: Array<[string[], RegExp]> = [
      [['--delay', '10 parsecs'], /--delay "10 parsecs" is not a duration/],
      [['--delay', '400d'], /--delay "400d" is more than a year/],
      [['--at', 'tomorrow'], /--at "tomorrow" is not an ISO 8601 time/],
      [['--at', '2030-01-01T09:00:00'], /with a zone/],
      [['--at', '2099-01-01T00:00:00Z'], /--at "2099-01-01T00:00:00Z" is more than a year ahead/],
      [['--priority', '12'], /priority/i],
      [['--delay', '1m', '--at', '2030-01-01T09:00:00Z'], /cannot also be provided|--at/],
      [['--expires', '10 parsecs'], /--expires "10 parsecs" is not a duration/],
      [['--expires', '2020-01-01T00:00:00Z'], /call option expiresAt: "?2020-01-01T00:00:00.000Z/],
      [['--expires', '5m', '--delay', '10m'], /expiresAt.*after the start time asked/],
    ];
    // Each a cold CLI start that stores nothing: all at once, not one after another.
    const refused = await Promise.all(
      cases.map(([flags]) => run(['call', 'add', '--args', '{"x": 1, "y": 2}', ...flags])),
    );
    refused.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
    const expiring = (
      await run(['call', 'add', '--args', '{"x": 1, "y": 2}', '--expires', '10m'])
    ).stdout.trim();
    expect(await json(['status', expiring])).toMatchObject({ status: 'REGISTERED' });
    const keyed = await run(['call', 'add', '--args', '{"x": 5, "y": 5}', '--id', 'key-1']);
    expect(keyed.stdout.trim()).toBe('key-1');
    const again = await run(['call', 'add', '--args', '{"x": 6, "y": 6}', '--id', 'key-1']);
    expect(again.stdout.trim()).toBe('key-1');
    expect(await json(['status', 'key-1'])).toMatchObject({ args: { x: 5, y: 5 } });
    const badId = await run(['call', 'add', '--args', '{"x": 1, "y": 2}', '--id', 'a b']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/call option id: "a b"/);
    const cancelled = await json(['cancel', id]);
    expect(cancelled).toEqual([{ id, outcome: 'cancelled', status: 'CANCELLED' }]);
  });

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
