import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  BackendError,
  DuplicateTaskError,
  InvalidArgumentsError,
  InvalidTaskNameError,
  SerializationError,
  taskapp,
  TimeoutError,
  type App,
  type Invocation,
} from '../../../src/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

const apps: App[] = [];
const make = (opts: Parameters<typeof taskapp>[0] = {}) => {
  const a = taskapp({ backend: 'memory', configFile: false, ...opts });
  apps.push(a);
  return a;
};
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('dev mode (dev_mode_force_sync)', () => {
  it('runs tasks inline at call(), through the same statuses, with no runner', async () => {
    const app = make({ devModeForceSync: true, backend: 'sqlite' });
    let ran = 0;
    const add = app.task('add', async ({ x, y }: { x: number; y: number }) => {
      ran++;
      return x + y;
    });
    const inv = await add.call({ x: 1, y: 2 });
    expect(ran).toBe(1);
    expect(await inv.status()).toBe('SUCCESS');
    expect(await inv.result()).toBe(3);
    expect((await inv.history()).map((h) => h.status)).toEqual([
      'REGISTERED',
      'PENDING',
      'RUNNING',
      'SUCCESS',
    ]);
    expect((await runtimeOf(app).backends()).names.state).toBe('memory');
  });

  it('is switched on by TASKAPP__DEV_MODE_FORCE_SYNC=true, and runs nested calls and retries', async () => {
    process.env.TASKAPP__DEV_MODE_FORCE_SYNC = 'true';
    try {
      const app = make();
      expect(app.devMode).toBe(true);
      let attempts = 0;
      const flaky = app.task(
        'flaky',
        async () => {
          if (++attempts < 2) {
            throw new Error('once');
          }
          return 'ok';
        },
        { maxRetries: 1, retryFor: ['Error'], retryBackoff: { baseSeconds: 0, jitter: false } },
      );
      const fib = app.task('fib', async ({ n }: { n: number }): Promise<number> =>
        n <= 1 ? n : (await fib.run({ n: n - 1 })) + (await fib.run({ n: n - 2 })),
      );
      expect(await fib.run({ n: 10 })).toBe(55);
      expect(await flaky.run({})).toBe('ok');
      expect(attempts).toBe(2);
    } finally {
      delete process.env.TASKAPP__DEV_MODE_FORCE_SYNC;
    }
  });
});

describe('bad input', () => {
  it('refuses a second task with the same name', () => {
    const app = make();
    app.task('t', async () => 1);
    expect(() => app.task('t', async () => 2)).toThrow(DuplicateTaskError);
    expect(() => app.task('t', async () => 2)).toThrow(/"t" is already registered/);
  });

  it('refuses arguments that are not one plain object', async () => {
    const app = make();
    const t = app.task('t', async (a: Record<string, unknown>) => a);
    for (const bad of [5, 'x', null, [1, 2], new Date()]) {
      await expect(t.call(bad as never)).rejects.toBeInstanceOf(InvalidArgumentsError);
    }
    await expect(t.call([1] as never)).rejects.toThrow(
      /task "t" takes one plain object of named arguments, got an array/,
    );
  });

  it('fails at call() for an argument it cannot serialize, naming task, argument and type, storing nothing', async () => {
    const app = make();
    const t = app.task('send', async (_: { to: string; cb: () => void }) => 1);
    const err = await t.call({ to: 'a', cb: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).toMatch(/cannot call task "send": argument cb is a function/);
    expect(await (await runtimeOf(app).backends()).state.list({})).toEqual([]);
  });

  it('fails at call() for a circular or too deep argument with a SerializationError naming task and argument', async () => {
    const app = make();
    const t = app.task('save', async (_: Record<string, unknown>) => 1);
    const user: Record<string, unknown> = { id: 1 };
    user.friend = { of: user };
    const err = await t.call({ user }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).toMatch(
      /cannot call task "save": argument user\.friend\.of is circular: it refers back to argument user,/,
    );
    let deep: unknown = 0;
    for (let i = 0; i < 5_000; i++) {
      deep = [deep];
    }
    await expect(t.call({ deep })).rejects.toThrow(
      /cannot call task "save": argument deep\[0\]\[0\].*nested more than 1000 levels deep/,
    );
    expect(await (await runtimeOf(app).backends()).state.list({})).toEqual([]);
  });

  it('a circular result fails the invocation with a SerializationError naming the task', async () => {
    const app = make({ devModeForceSync: true });
    const t = app.task('loop', async () => {
      const o: Record<string, unknown> = {};
      o.o = o;
      return o;
    });
    const inv = await t.call({});
    expect(await inv.status()).toBe('FAILED');
    const err = await inv.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).toMatch(
      /task "loop" returned a value that cannot be serialized: result\.o is circular/,
    );
  });

  it('refuses task names with control characters, naming the name and the rule', () => {
    const app = make();
    for (const bad of ['two\nlines', 'esc\u001b[31mred', 'tab\there', '', '  ', 'x'.repeat(201)]) {
      expect(() => app.task(bad, async () => 1)).toThrow(InvalidTaskNameError);
    }
    expect(() => app.task('a\nb', async () => 1)).toThrow(
      /task name "a\\nb" is invalid: it must not contain control characters/,
    );
    expect(() => app.task('billing.charge-v2:eu', async () => 1)).not.toThrow();
  });

  it('result() times out with the invocation and its last status', async () => {
    const app = make();
    const t = app.task('t', async () => 1);
    const inv = await t.call({});
    const err = await inv.result({ timeoutMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain(
      `invocation ${inv.id} did not finish within 30 ms (last status REGISTERED)`,
    );
  });

  it('reports a corrupted SQLite file clearly and leaves it untouched', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'bad.db');
    writeFileSync(path, 'this is not a database, just text '.repeat(200));
    const app = make({ backend: 'sqlite', sqlite: { path } });
    const err = await runtimeOf(app)
      .backends()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/bad\.db is not a usable taskapp database/);
    expect((err as BackendError).fix).toMatch(/move the file aside/);
    tmp.cleanup();
  });

  it('reports a SQLite file locked by another connection, writing nothing', async () => {
    const tmp = tempDir();
    const path = join(tmp.dir, 'locked.db');
    const app = make({ backend: 'sqlite', sqlite: { path, busyTimeoutMs: 50 } });
    const t = app.task('t', async () => 1);
    await t.call({});
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const err = await t.call({}).catch((e: unknown) => e);
    other.exec('ROLLBACK');
    other.close();
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/locked.*nothing was written/);
    expect((await (await runtimeOf(app).backends()).state.list({})).length).toBe(1);
    tmp.cleanup();
  });
});

describe('types flow from the task function', () => {
  it('to call(), run() and result()', () => {
    const app = make();
    const add = app.task('add', async ({ x, y }: { x: number; y: number }) => x + y);
    const greet = app.task('greet', ({ name }: { name: string }) => `hi ${name}`);
    expectTypeOf(add.call).parameter(0).toEqualTypeOf<{ x: number; y: number }>();
    expectTypeOf(add.call).returns.resolves.toEqualTypeOf<Invocation<number>>();
    expectTypeOf(add.run).returns.resolves.toBeNumber();
    expectTypeOf(greet.run).returns.resolves.toBeString();
    expectTypeOf<Awaited<ReturnType<Invocation<number>['result']>>>().toBeNumber();
    // @ts-expect-error a missing argument is a compile error
    void (() => add.call({ x: 1 }));
  });
});
