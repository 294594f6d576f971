/**
 * Heartbeat: beats from a worker thread while the event loop is blocked (and says so in the log),
 * and keeps this runner's view of its contact with the backend, which recovery waits on.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBackends, type Backends } from '../../../src/backends/registry.js';
import type { StateBackend } from '../../../src/backends/state-backend.js';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger, type LogLine } from '../../../src/core/logger.js';
import { Heartbeat } from '../../../src/runners/heartbeat.js';
import { tempDir } from '../../helpers/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('condition not reached in time');
    }
    await sleep(20);
  }
}

function capture(): { lines: LogLine[]; logger: ReturnType<typeof createLogger> } {
  const lines: LogLine[] = [];
  return { lines, logger: createLogger('debug', 'text', {}, (l) => lines.push(l)) };
}

describe('Heartbeat', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) {
      await c();
    }
  });

  it('goes on beating from a worker thread while the event loop is blocked, then logs the block naming the task', async () => {
    const t = tempDir('taskapp-heartbeat-');
    cleanups.push(() => t.cleanup());
    const resolved = loadConfig({
      code: { backend: 'sqlite', sqlite: { path: join(t.dir, 'hb.sqlite') } },
      configFile: false,
      env: {},
    });
    const b: Backends = await createBackends(resolved);
    cleanups.push(() => b.close());
    const { lines, logger } = capture();
    const hb = new Heartbeat({
      state: b.state,
      id: 'hb-runner',
      kind: 'thread',
      intervalMs: 100,
      deadAfterMs: 3000,
      meta: () => ({}),
      logger,
      worker: { resolved, backend: 'sqlite' },
    });
    await hb.start();
    cleanups.push(() => hb.stop());
    await until(() => hb.fromWorker);
    const untrack = hb.track('inv-1', 'crunch');
    const blockedAt = Date.now();
    while (Date.now() - blockedAt < 2500) {
      // A synchronous loop: no timer of this thread runs.
    }
    const [row] = await b.state.runners();
    // Written while this thread was blocked: only the worker could have.
    expect(row!.heartbeatAt).toBeGreaterThan(blockedAt + 1000);
    untrack();
    await until(() => lines.some((l) => l.level === 'warn'));
    expect(lines.find((l) => l.level === 'warn')!.msg).toMatch(
      /^event loop of runner hb-runner blocked for \d+\.\ds \(task crunch, invocation inv-1\)$/,
    );
    await hb.stop();
    expect(await b.state.runners()).toEqual([]);
  });

  it('counts contact with the backend only since the last failed or missing beat', async () => {
    let down = false;
    const state = {
      heartbeat: async () => {
        if (down) {
          throw new Error('connection refused');
        }
      },
      removeRunner: async () => {},
    } as unknown as StateBackend;
    const { logger } = capture();
    const hb = new Heartbeat({
      state,
      id: 'r',
      kind: 'thread',
      intervalMs: 20,
      deadAfterMs: 200,
      meta: () => ({}),
      logger,
    });
    await hb.start();
    cleanups.push(() => hb.stop());
    await until(() => hb.contactMs() >= 200);
    down = true;
    await until(() => hb.contactMs() === 0);
    await sleep(100);
    expect(hb.contactMs()).toBe(0);
    down = false;
    await until(() => hb.contactMs() > 0);
    // Back in contact, but not yet for a whole dead-after period: recovery must wait.
    expect(hb.contactMs()).toBeLessThan(200);
    await until(() => hb.contactMs() >= 200);
  });
});
