/**
 * Tracing with no OpenTelemetry SDK registered (this file's process registers none): nothing is
 * started or written. And the stored W3C form round-trips, refusing what is malformed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../../helpers/build.js';
import { tempDir } from '../../helpers/tmp.js';
import { isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import { taskapp } from '../../../src/index.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';
import { fromW3c, toW3c, traceKey, tracingOn } from '../../../src/runtime/tracing.js';

describe('tracing without an SDK', () => {
  const app = taskapp({ appId: 'untraced', configFile: false, backend: 'memory' });
  const add = app.task('add', async ({ x }: { x: number }) => x + 1);
  afterAll(() => app.close());

  it('is off, and a call and its run store no trace context', async () => {
    expect(tracingOn()).toBe(false);
    await app.startRunner({ runner: 'thread' });
    const inv = await add.call({ x: 1 });
    expect(await inv.result({ timeoutMs: 30_000 })).toBe(2);
    const { data } = await runtimeOf(app).backends();
    expect(await data.get(traceKey(inv.id))).toBeNull();
    expect((await data.stats()).count).toBe(0);
  });
});

describe('a process no SDK traces', () => {
  it('never loads the OpenTelemetry API (a call and its run included)', async () => {
    await ensureBuilt();
    const t = tempDir('taskapp-otel-');
    try {
      const seen = join(t.dir, 'resolved.txt');
      // Every module the process resolves, written down by a loader hook (its own thread).
      writeFileSync(
        join(t.dir, 'hook.mjs'),
        `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  appendFileSync(${JSON.stringify(seen)}, spec + '\\n');
  return next(spec, ctx);
}`,
      );
      writeFileSync(
        join(t.dir, 'register.mjs'),
        `import { register } from 'node:module'; register('./hook.mjs', import.meta.url);`,
      );
      writeFileSync(
        join(t.dir, 'main.mjs'),
        `import { createRequire } from 'node:module';
const { taskapp } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/index.js')).href)});
const app = taskapp({ appId: 'untraced-child', configFile: false, backend: 'memory' });
const add = app.task('add', async ({ x }) => x + 1);
await app.startRunner({ runner: 'thread' });
const result = await (await add.call({ x: 1 })).result({ timeoutMs: 30000 });
const cjs = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@opentelemetry'));
await app.close();
console.log(JSON.stringify({ result, cjs }));`,
      );
      const out = execFileSync(
        process.execPath,
        ['--import', pathToFileURL(join(t.dir, 'register.mjs')).href, join(t.dir, 'main.mjs')],
        { encoding: 'utf8', cwd: ROOT },
      );
      expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ result: 2, cjs: [] });
      const resolved = readFileSync(seen, 'utf8').split('\n');
      expect(resolved).toContain('zod');
      expect(resolved.filter((s) => s.includes('@opentelemetry'))).toEqual([]);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});

describe('stored trace context (W3C traceparent / tracestate)', () => {
  const sc = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
  };

  it('round-trips as a remote parent', () => {
    const text = toW3c(sc);
    expect(JSON.parse(text)).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const parent = trace.getSpanContext(fromW3c(text)!)!;
    expect(parent).toMatchObject({ ...sc, isRemote: true });
    expect(isSpanContextValid(parent)).toBe(true);
  });

  it('keeps tracestate', () => {
    const text = JSON.stringify({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
      tracestate: 'vendor=abc',
    });
    const parent = trace.getSpanContext(fromW3c(text)!)!;
    expect(parent.traceState?.get('vendor')).toBe('abc');
    expect(JSON.parse(toW3c(parent)).tracestate).toBe('vendor=abc');
  });

  it.each([
    ['not JSON', 'x'],
    ['no traceparent', '{}'],
    ['a bad version', '{"traceparent":"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'],
    ['an all-zero trace id', `{"traceparent":"00-${'0'.repeat(32)}-b7ad6b7169203331-01"}`],
  ])('refuses %s', (_what, text) => {
    expect(fromW3c(text)).toBeUndefined();
  });
});
