/**
 * Issue 16: the runner printed nothing per invocation, failures included, even at debug level.
 * Now: one line per failed attempt (error) and per retry (warn), each with its error; at debug,
 * one when an attempt starts and one when it succeeds.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { taskapp, type Runner } from '../../../src/index.js';

describe('runner log lines per invocation', () => {
  let runner: Runner | undefined;
  const app = taskapp({ appId: 'runlogs', configFile: false });
  const ok = app.task('ok', async ({ x }: { x: number }) => x);
  const flaky = app.task(
    'flaky',
    async () => {
      throw new RangeError('out of range');
    },
    {
      maxRetries: 1,
      retryFor: ['RangeError'],
      retryBackoff: { kind: 'fixed', baseSeconds: 0, jitter: false },
    },
  );
  afterEach(async () => {
    await runner?.stop({ graceMs: 0 });
    await app.close();
    vi.restoreAllMocks();
  });

  it('logs the retry and the failure with their error, and starts and successes at debug', async () => {
    app.configure({
      env: { TASKAPP__BACKEND: 'memory', TASKAPP__LOGGING_LEVEL: 'debug' },
    });
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write);
    runner = await app.startRunner({ runner: 'thread', concurrency: 2 });
    const good = await ok.call({ x: 1 });
    const bad = await flaky.call({});
    await good.result({ timeoutMs: 10_000 });
    await bad.result({ timeoutMs: 10_000 }).catch(() => {});
    await runner.stop({ graceMs: 0 });
    runner = undefined;
    vi.restoreAllMocks();
    const about = (id: string) => lines.filter((l) => l.includes(id));
    const badLines = about(bad.id);
    expect(badLines.filter((l) => /task started/.test(l))).toHaveLength(2);
    expect(badLines.filter((l) => /task failed; retrying/.test(l))).toHaveLength(1);
    expect(badLines.filter((l) => /task failed(?!;)/.test(l))).toHaveLength(1);
    expect(badLines.join('')).toContain('RangeError: out of range');
    expect(about(good.id).filter((l) => /task started|task succeeded/.test(l))).toHaveLength(2);
  });
});
