/** The trigger commands' logic (src/triggers/admin.ts) and the oclif commands that render it. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { taskapp, type App } from '../../../src/app/app.js';
import { on } from '../../../src/triggers/conditions.js';
import {
  emitFromText,
  fireTriggerNow,
  listTriggers,
  setTriggerPaused,
} from '../../../src/triggers/admin.js';
import { tempDir } from '../../helpers/tmp.js';
import TriggerList from '../../../commands/trigger/list.js';
import TriggerPause from '../../../commands/trigger/pause.js';
import TriggerResume from '../../../commands/trigger/resume.js';
import TriggerFire from '../../../commands/trigger/fire.js';
import Emit from '../../../commands/emit.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/cli-app.ts', import.meta.url));
const tmp = tempDir('taskapp-trigger-cli-');
// What the taskapp.toml below gives, for the tests of the functions (no config file).
const CONFIG = {
  backend: 'sqlite' as const,
  sqlite: { path: join(tmp.dir, 'cli.db') },
  tasks: { modules: [] as string[], report: { cron: '0 3 * * *', timezone: 'Europe/Madrid' } },
};
const TOML = join(tmp.dir, 'taskapp.toml');
beforeAll(() => {
  writeFileSync(
    TOML,
    [
      'backend = "sqlite"',
      '[sqlite]',
      `path = ${JSON.stringify(join(tmp.dir, 'cli.db'))}`,
      '[tasks]',
      `modules = [${JSON.stringify(FIXTURE)}]`,
      '[tasks.report]',
      'cron = "0 3 * * *"',
      'timezone = "Europe/Madrid"',
      '',
    ].join('\n'),
  );
});
afterAll(() => tmp.cleanup());

function makeApp(): App {
  const app = taskapp({ appId: 'cli', configFile: false, ...CONFIG });
  app.task('report', async () => 'ok');
  app.task('hello', async (a: Record<string, unknown>) => a, {
    triggers: [
      on.cron('*/5 * * * * *').withArgs({ who: 'cron' }),
      on.event('user.signup', { plan: 'pro' }),
    ],
  });
  return app;
}

describe('trigger admin functions', () => {
  let app: App;
  afterEach(async () => {
    await app.close();
  });

  it('lists triggers with source, condition, paused state and next fire times', async () => {
    app = makeApp();
    const now = Date.parse('2024-07-01T12:00:00Z');
    const list = await listTriggers(runtimeOf(app), { now, count: 2 });
    expect(list.map((t) => [t.id, t.kind, t.source, t.paused])).toEqual([
      ['report:cron', 'cron', 'config', false],
      ['hello:0', 'cron', 'code', false],
      ['hello:1', 'event', 'code', false],
    ]);
    expect(list[0]!.condition).toBe('cron 0 3 * * * (Europe/Madrid)');
    expect(list[0]!.nextFires.map((t) => new Date(t).toISOString())).toEqual([
      '2024-07-02T01:00:00.000Z',
      '2024-07-03T01:00:00.000Z',
    ]);
    expect(list[1]!.nextFires).toEqual([now + 5000, now + 10_000]);
    expect(list[2]!.condition).toBe('event user.signup matching {"plan":"pro"}');
    expect(list[2]!.nextFires).toEqual([]);
  });

  it('pauses and resumes by trigger id or task name; unknown names fail with the known ids', async () => {
    app = makeApp();
    expect(await setTriggerPaused(runtimeOf(app), 'hello', true)).toEqual(['hello:0', 'hello:1']);
    expect(await setTriggerPaused(runtimeOf(app), 'hello:1', false)).toEqual(['hello:1']);
    expect((await listTriggers(runtimeOf(app))).filter((t) => t.paused).map((t) => t.id)).toEqual([
      'hello:0',
    ]);
    await expect(setTriggerPaused(runtimeOf(app), 'nope', true)).rejects.toThrow(
      /no trigger or task with triggers named "nope" \(known: report:cron, hello:0, hello:1\)/,
    );
    await setTriggerPaused(runtimeOf(app), 'hello:0', false);
  });

  it('fires a trigger now with its arguments; an ambiguous task name fails', async () => {
    app = makeApp();
    const { triggerId, invocationId } = await fireTriggerNow(runtimeOf(app), 'hello:0');
    expect(triggerId).toBe('hello:0');
    const rec = await app.getRecord(invocationId);
    expect([rec.taskId, JSON.parse(rec.args)]).toEqual(['hello', { who: 'cron' }]);
    await expect(fireTriggerNow(runtimeOf(app), 'hello')).rejects.toThrow(/has 2 triggers/);
    expect((await fireTriggerNow(runtimeOf(app), 'report')).triggerId).toBe('report:cron');
  });

  it('emits from JSON text; bad JSON fails with a fix', async () => {
    app = makeApp();
    const id = await emitFromText(runtimeOf(app), 'user.signup', '{"userId": 7, "plan": "pro"}');
    const evs = await (await runtimeOf(app).backends()).triggers.events(0, 100);
    expect(evs.find((e) => e.id === id)).toMatchObject({
      code: 'user.signup',
      payload: '{"userId":7,"plan":"pro"}',
    });
    await expect(emitFromText(runtimeOf(app), 'user.signup', '{userId: 7}')).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      exitCode: 2,
    });
    await expect(emitFromText(runtimeOf(app), 'taskapp.x', '{}')).rejects.toThrow(/reserved/);
  });
});

describe('trigger commands (app from the config file)', () => {
  /** Runs a command; returns what it printed (text mode) and what it returned (the --json value). */
  async function run(
    cmd: { run(argv: string[], opts?: string): Promise<unknown> },
    argv: string[],
  ): Promise<{ out: string; result: any }> {
    let out = '';
    const capture = (chunk: unknown) => {
      out += `${String(chunk)}\n`;
      return true;
    };
    const w = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const l = vi.spyOn(console, 'log').mockImplementation(capture);
    try {
      return { result: await cmd.run(argv, ROOT), out };
    } finally {
      w.mockRestore();
      l.mockRestore();
    }
  }

  it('list, pause, resume, fire and emit', async () => {
    const listed = (await run(TriggerList, ['--config', TOML, '--json'])).result as Array<{
      id: string;
      source: string;
    }>;
    expect(listed.map((t) => `${t.id}/${t.source}`)).toEqual([
      'report:cron/config',
      'hello:0/code',
      'hello:1/code',
    ]);
    expect((await run(TriggerPause, ['report', '--config', TOML])).out).toContain(
      'paused report:cron',
    );
    expect((await run(TriggerList, ['--config', TOML])).out).toMatch(/report:cron {2}\[paused\]/);
    expect((await run(TriggerResume, ['report:cron', '--config', TOML])).out).toContain(
      'resumed report:cron',
    );
    expect((await run(TriggerFire, ['hello:0', '--config', TOML, '--json'])).result).toMatchObject({
      triggerId: 'hello:0',
    });
    expect(
      (await run(Emit, ['user.signup', '--payload', '{"plan":"pro"}', '--config', TOML, '--json']))
        .result.eventId,
    ).toMatch(/^[0-9a-f-]{36}$/);
  });
});
