/**
 * Tracing with no OpenTelemetry SDK registered (this file's process registers none): nothing is
 * started or written. And the stored W3C form round-trips, refusing what is malformed.
 */
import { afterAll, describe, expect, it } from 'vitest';
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
