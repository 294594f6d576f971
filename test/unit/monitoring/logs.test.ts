/** Task log lines: JSON format carries invocation/task/runner; keep_logs stores them through the state backend. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { taskapp, type App } from '../../../src/index.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

const apps: App[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function runOne(
  monitor: Record<string, unknown>,
): Promise<{ app: App; id: string; lines: string[] }> {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const app = taskapp({ backend: 'memory', configFile: false, monitor });
  apps.push(app);
  const t = app.task('greet', async ({ name }: { name: string }, ctx) => {
    ctx.logger.info('hello', { name });
    ctx.logger.debug('hidden');
    return name;
  });
  const runner = await app.startRunner({ runner: 'thread', concurrency: 1 });
  const inv = await t.call({ name: 'ada' });
  await inv.result({ timeoutMs: 10_000 });
  await runner.stop();
  await app.flushLogs();
  return { app, id: inv.id, lines };
}

describe('task logs', () => {
  it('log_format = "json" writes one JSON object a line with invocation, task and runner', async () => {
    const { id, lines } = await runOne({ logFormat: 'json' });
    const hello = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'hello')!;
    expect(hello).toMatchObject({
      level: 'info',
      msg: 'hello',
      invocation: id,
      task: 'greet',
      name: 'ada',
    });
    expect(String(hello.runner)).toMatch(/^thread@/);
    expect(typeof hello.at).toBe('number');
    expect(lines.some((l) => l.includes('hidden'))).toBe(false); // below logging_level
  });

  it('text format keeps the same fields as key=value', async () => {
    const { id, lines } = await runOne({});
    expect(lines.find((l) => l.includes('hello'))).toMatch(
      new RegExp(`INFO  hello app=taskapp invocation=${id} task=greet runner=thread@\\S+ name=ada`),
    );
  });

  it('keep_logs = true stores the lines of each invocation for the monitor (and still prints them)', async () => {
    const { app, id, lines } = await runOne({ keepLogs: true });
    expect(lines.some((l) => l.includes('hello'))).toBe(true);
    const stored = await (await runtimeOf(app).backends()).state.logs(id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      invocationId: id,
      level: 'info',
      message: 'hello',
      fields: { task: 'greet', name: 'ada', app: 'taskapp' },
    });
  });

  it('keep_logs = false (the default) stores nothing', async () => {
    const { app, id } = await runOne({});
    expect(await (await runtimeOf(app).backends()).state.logs(id)).toEqual([]);
  });
});
