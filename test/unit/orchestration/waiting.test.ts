/** What `taskapp status` shows a waiting invocation waits for. */
import { afterEach, describe, expect, it } from 'vitest';
import { taskapp, type App } from '../../../src/index.js';
import { waitingOn } from '../../../src/runtime/waiting.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let app: App;
afterEach(async () => {
  await app?.close();
});

async function until<T>(fn: () => Promise<T | null | undefined>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const v = await fn();
    if (v) {
      return v;
    }
    await sleep(10);
  }
  throw new Error('condition not reached');
}

describe('waitingOn', () => {
  it('a PAUSED parent waits for the results of its unfinished children', async () => {
    app = taskapp({ backend: 'memory', configFile: false });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const child = app.task('child', async () => {
      await gate;
      return 1;
    });
    const parent = app.task('parent', async () => child.run({}));
    await app.startRunner({ concurrency: 2 });
    const p = await parent.call({});
    const rec = await until(async () => {
      const r = await app.getRecord(p.id);
      return r.status === 'PAUSED' ? r : null;
    });
    const w = await waitingOn(runtimeOf(app), rec);
    expect(w?.reason).toBe('the results of');
    expect(w?.invocations.map((i) => [i.task, i.status])).toEqual([['child', 'RUNNING']]);
    release();
    expect(await p.result({ timeoutMs: 5000 })).toBe(1);
    expect(await waitingOn(runtimeOf(app), await app.getRecord(p.id))).toBeNull();
  });

  it('an invocation held back by running concurrency waits for the holders of its scope', async () => {
    app = taskapp({ backend: 'memory', configFile: false });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = app.task(
      'exclusive',
      async () => {
        await gate;
      },
      { runningConcurrency: 'TASK', rerouteOnConcurrencyControl: true },
    );
    await app.startRunner({ concurrency: 4 });
    const first = await t.call({});
    await until(async () => (await app.getRecord(first.id)).status === 'RUNNING');
    const second = await t.call({});
    const rec = await until(async () => {
      const r = await app.getRecord(second.id);
      return (await app.invocation(second.id).history()).some(
        (h) => h.status === 'CONCURRENCY_CONTROLLED',
      )
        ? r
        : null;
    });
    const w = await waitingOn(runtimeOf(app), rec);
    expect(w?.reason).toContain('1 of 1 taken');
    expect(w?.invocations.map((i) => i.id)).toEqual([first.id]);
    release();
    await second.result({ timeoutMs: 5000 });
  });
});
