/**
 * OpenTelemetry across processes: a parent task awaiting two children, run by a persistent-process
 * runner (the tasks run in its child processes, the call is made here), yields one trace:
 * send parent -> process parent -> send child (x2) -> process child, with the messaging attributes,
 * PAUSED / RESUMED as events, and a failed attempt recording its exception. On sqlite, redis and
 * postgres.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import {
  context,
  ROOT_CONTEXT,
  trace,
  type Context,
  type ContextManager,
} from '@opentelemetry/api';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Runner } from '../../../src/runners/runner.js';
import { CHAOS_BACKENDS, sqlite, type ChaosStorage } from '../../chaos/backends.js';
import { tempDir } from '../../helpers/tmp.js';
import { app, child, flaky, parent, type SpanLine } from './fixtures/traced-app.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';
import { purgeInvocations } from '../../../src/runtime/purge.js';
import { rerouteForRecovery } from '../../../src/runtime/recovery.js';
import { traceKey } from '../../../src/runtime/tracing.js';
import { fixtureModule } from '../../helpers/build.js';

const TRACED_APP = fixtureModule(new URL('./fixtures/traced-app.ts', import.meta.url));
const PRODUCER = 3;
const CONSUMER = 4;

function spans(file: string): SpanLine[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SpanLine);
  } catch {
    return [];
  }
}

/** The trace as an indented tree (printed for the reader of the test log). */
function tree(all: SpanLine[]): string {
  const lines: string[] = [];
  const walk = (parentId: string | null, depth: number) => {
    for (const s of all.filter((x) => x.parentSpanId === parentId)) {
      const kind = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'][s.kind] ?? s.kind;
      const inv = s.attributes['taskapp.invocation.id'];
      lines.push(
        `${'  '.repeat(depth)}${s.name} [${kind}] pid=${s.pid}${inv ? ` inv=${String(inv).slice(0, 8)}` : ''}${s.events.length ? ` events=${s.events.join(',')}` : ''}`,
      );
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return lines.join('\n');
}

async function waitForSpans(file: string, pred: (s: SpanLine[]) => boolean): Promise<SpanLine[]> {
  for (let i = 0; i < 600; i++) {
    const s = spans(file);
    if (pred(s)) {
      return s;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for spans; have:\n${tree(spans(file))}`);
}

let runner: Runner | undefined;
let storage: ChaosStorage | undefined;
let cleanup = () => {};
afterEach(async () => {
  await runner?.stop({ graceMs: 0 });
  runner = undefined;
  await app.close();
  await storage?.cleanup();
  storage = undefined;
  delete process.env.TRACE_OUT;
  cleanup();
});

for (const backend of CHAOS_BACKENDS) {
  await backend.describe(`OpenTelemetry traces on ${backend.name}`, () => {
    it('a parent awaiting two children on persistent-process children is one trace', async () => {
      const t = tempDir('taskapp-trace-');
      cleanup = t.cleanup;
      const out = join(t.dir, 'spans.jsonl');
      process.env.TRACE_OUT = out; // children inherit it: their spans land in the same file
      storage = backend.fresh(t.dir);
      app.configure({
        env: { ...process.env, ...storage.env, TASKAPP__LOGGING_LEVEL: 'error' },
      });
      runner = await app.startRunner({
        runner: 'persistent-process',
        processes: 2,
        concurrency: 4,
        appModule: TRACED_APP,
      });

      const inv = await parent.call({});
      expect(await inv.result({ timeoutMs: 120_000 })).toBe(30);
      const all = await waitForSpans(
        out,
        (s) =>
          s.filter((x) => x.name === 'process child').length === 2 &&
          s.some((x) => x.name === 'process parent'),
      );
      console.log(`trace on ${backend.name}:\n${tree(all)}`);

      expect(new Set(all.map((s) => s.traceId)).size).toBe(1);
      const byName = (n: string) => all.filter((s) => s.name === n);
      const [sendParent] = byName('send parent');
      const [processParent] = byName('process parent');
      expect(byName('send parent')).toHaveLength(1);
      expect(byName('process parent')).toHaveLength(1);
      expect(sendParent!.parentSpanId).toBeNull();
      expect(sendParent!.kind).toBe(PRODUCER);
      expect(sendParent!.pid).toBe(process.pid);
      expect(processParent!.parentSpanId).toBe(sendParent!.spanId);
      expect(processParent!.kind).toBe(CONSUMER);
      expect(processParent!.pid).not.toBe(process.pid); // ran in a runner child
      expect(processParent!.attributes).toMatchObject({
        'messaging.system': 'taskapp',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'parent',
        'taskapp.invocation.id': inv.id,
        'taskapp.invocation.attempt': 1,
        'taskapp.runner.id': expect.any(String),
      });
      // Its status changes from RUNNING on, as events: PAUSED / RESUMED when result() had to wait
      // (not when a child was already final), then SUCCESS.
      const history = (await inv.history()).map((h) => h.status);
      expect(processParent!.events).toEqual(history.slice(history.indexOf('RUNNING')));
      expect(processParent!.events.at(-1)).toBe('SUCCESS');

      const sends = byName('send child');
      const processes = byName('process child');
      expect(sends).toHaveLength(2);
      expect(processes).toHaveLength(2);
      for (const s of sends) {
        expect(s.parentSpanId).toBe(processParent!.spanId);
        expect(s.attributes).toMatchObject({
          'messaging.system': 'taskapp',
          'messaging.operation.type': 'send',
          'messaging.destination.name': 'child',
          'taskapp.parent.invocation.id': inv.id,
        });
      }
      expect(new Set(processes.map((p) => p.parentSpanId))).toEqual(
        new Set(sends.map((s) => s.spanId)),
      );
      for (const p of processes) {
        const send = sends.find((s) => s.spanId === p.parentSpanId)!;
        expect(p.attributes['taskapp.invocation.id']).toBe(
          send.attributes['taskapp.invocation.id'],
        );
      }
      expect(all).toHaveLength(6);

      // A failed attempt: its span records the exception and ends in FAILED.
      const bad = await flaky.call({});
      await expect(bad.result({ timeoutMs: 120_000 })).rejects.toThrow('flaky failed');
      const failed = (
        await waitForSpans(out, (s) => s.some((x) => x.name === 'process flaky'))
      ).find((s) => s.name === 'process flaky')!;
      expect(failed.exception).toBe(true);
      expect(failed.events).toContain('FAILED');
    }, 240_000);
  });
}

it('the stored trace context goes with its invocation when purged', async () => {
  const t = tempDir('taskapp-trace-');
  cleanup = t.cleanup;
  storage = sqlite.fresh(t.dir);
  app.configure({ env: { ...process.env, ...storage.env, TASKAPP__LOGGING_LEVEL: 'error' } });
  runner = await app.startRunner({ runner: 'thread' });
  const inv = await child.call({ i: 3 });
  expect(await inv.result({ timeoutMs: 60_000 })).toBe(30);
  const rt = runtimeOf(app);
  const { data } = await rt.backends();
  expect((await data.get(traceKey(inv.id)))?.toString()).toMatch(/"traceparent":"00-[0-9a-f]{32}-/);
  await purgeInvocations(rt, Date.now() + 60_000);
  expect(await data.get(traceKey(inv.id))).toBeNull();
});

/** What an SDK's context manager does (sdk-trace-node's AsyncLocalStorageContextManager), in short. */
class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  active = () => this.als.getStore() ?? ROOT_CONTEXT;
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.als.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind = <T>(_ctx: Context, target: T): T => target;
  enable = () => this;
  disable = () => this;
}

it("a call inside the user's own span (an HTTP request) joins that trace", async () => {
  const t = tempDir('taskapp-trace-');
  cleanup = t.cleanup;
  const out = join(t.dir, 'spans.jsonl');
  process.env.TRACE_OUT = out;
  storage = sqlite.fresh(t.dir);
  app.configure({ env: { ...process.env, ...storage.env, TASKAPP__LOGGING_LEVEL: 'error' } });
  context.setGlobalContextManager(new AlsContextManager());
  try {
    runner = await app.startRunner({ runner: 'thread', concurrency: 4 });
    const result = await trace.getTracer('web').startActiveSpan('GET /order', async (span) => {
      const inv = await parent.call({});
      const r = await inv.result({ timeoutMs: 60_000 });
      span.end();
      return r;
    });
    expect(result).toBe(30);
    const all = await waitForSpans(out, (s) => s.some((x) => x.name === 'GET /order'));
    console.log(`trace from a request:\n${tree(all)}`);
    expect(new Set(all.map((s) => s.traceId)).size).toBe(1);
    const request = all.find((s) => s.name === 'GET /order')!;
    expect(request.parentSpanId).toBeNull();
    expect(all.find((s) => s.name === 'send parent')!.parentSpanId).toBe(request.spanId);
    expect(all.map((s) => s.name).sort()).toEqual([
      'GET /order',
      'process child',
      'process child',
      'process parent',
      'send child',
      'send child',
      'send parent',
    ]);
  } finally {
    context.disable();
  }
});

it("recovery of a dead runner's work joins the invocation's trace, then the rerun does", async () => {
  const t = tempDir('taskapp-trace-');
  cleanup = t.cleanup;
  const out = join(t.dir, 'spans.jsonl');
  process.env.TRACE_OUT = out;
  storage = sqlite.fresh(t.dir);
  app.configure({ env: { ...process.env, ...storage.env, TASKAPP__LOGGING_LEVEL: 'error' } });
  const inv = await child.call({ i: 4 });
  const b = await runtimeOf(app).backends();
  // A runner claims it, then is gone (it never writes an outcome); another one recovers its work.
  const [held] = await b.hot.claimAndStart(1, 5000, 'runner-that-died');
  expect(held?.id).toBe(inv.id);
  const { rerouted } = await rerouteForRecovery(b, [held!], 'rescuer');
  expect(rerouted.map((r) => r.id)).toEqual([inv.id]);
  runner = await app.startRunner({ runner: 'thread' });
  expect(await inv.result({ timeoutMs: 60_000 })).toBe(40);

  const all = await waitForSpans(out, (s) => s.some((x) => x.name === 'process child'));
  console.log(`trace with a recovery:\n${tree(all)}`);
  const send = all.find((s) => s.name === 'send child')!;
  const recover = all.find((s) => s.name === 'recover child')!;
  const run = all.find((s) => s.name === 'process child')!;
  expect(recover.parentSpanId).toBe(send.spanId);
  expect(recover.events).toEqual(['RUNNING_RECOVERY', 'REROUTED']);
  expect(recover.attributes).toMatchObject({
    'taskapp.invocation.id': inv.id,
    'taskapp.runner.id': 'rescuer',
  });
  expect(run.parentSpanId).toBe(send.spanId);
  expect(run.attributes['taskapp.invocation.attempt']).toBe(2);
});
