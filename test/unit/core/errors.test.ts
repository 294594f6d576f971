/**
 * Errors carry data: a stable `code` from one union, a message, and the fix apart from it. Every
 * error class a user can catch is exported, and comes back from result() as itself.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import * as publicApi from '../../../src/index.js';
import {
  DeterminismError,
  InvocationNotFoundError,
  taskapp,
  TaskappError,
  UnknownTriggerError,
  type App,
  type TaskappErrorCode,
} from '../../../src/index.js';
import * as coreErrors from '../../../src/core/errors.js';

const apps: App[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('TaskappError', () => {
  it('keeps the fix out of the message, as a field of its own', () => {
    const err = new InvocationNotFoundError('abc');
    expect(err.message).toBe('no invocation with id abc');
    expect(err.fix).toMatch(/taskapp list shows recent ones/);
    expect(err.code).toBe('INVOCATION_NOT_FOUND');
    expect(new TaskappError('USAGE', 'bad flag', { fix: 'drop it' }).message).toBe('bad flag');
  });

  it('types its code as one union', () => {
    expectTypeOf<TaskappError['code']>().toEqualTypeOf<TaskappErrorCode>();
    // @ts-expect-error: a code outside the union does not compile
    void new TaskappError('NOT_A_CODE', 'x');
  });

  it('exports every error class from the public API', () => {
    const classes = Object.entries(coreErrors).filter(
      ([, v]) =>
        typeof v === 'function' && (v as { prototype: unknown }).prototype instanceof Error,
    );
    expect(classes.map(([name]) => name)).toEqual(
      expect.arrayContaining(['DeterminismError', 'UnknownTriggerError']),
    );
    for (const [name, cls] of classes) {
      expect(publicApi, name).toHaveProperty(name, cls);
    }
    expect(new UnknownTriggerError('nightly', [])).toMatchObject({
      code: 'UNKNOWN_TRIGGER',
      exitCode: 2,
      fix: expect.stringMatching(/trigger list/),
    });
  });

  it('a DeterminismError a task throws comes back from result() as itself, fix included', async () => {
    const app = taskapp({ backend: 'memory', configFile: false, devModeForceSync: true });
    apps.push(app);
    const task = app.task('drifts', async () => {
      throw new DeterminismError('called Math.random() directly', 'use ctx.wf.random()');
    });
    const inv = await task.call({});
    const err = await inv.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismError);
    expect(err).toMatchObject({
      code: 'DETERMINISM',
      message: 'called Math.random() directly',
      fix: 'use ctx.wf.random()',
    });
  });
});
