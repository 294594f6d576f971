/**
 * OpenTelemetry traces through `@opentelemetry/api` only: the user registers an SDK and exporter
 * (the convention for libraries); with none registered every entry point returns at one identity
 * check, and nothing is written.
 *
 * `call()` / `parallelize()` start a PRODUCER span ("send <task>") and store its W3C trace context
 * beside each invocation, in the data store under `trace:<invocation id>` (referenced by the
 * invocation, so purge deletes it): no column in the invocation tables. The process that runs the
 * attempt, whatever the runner kind, reads it and starts a CONSUMER span ("process <task>") under
 * it. Calls made inside a task continue the trace: the consumer span is the active OpenTelemetry
 * context of the task's body (for the user's own spans, with a context manager) and is kept on the
 * invocation's async context too (for calls, even without a context manager).
 * Attributes follow the messaging semantic conventions: messaging.system = "taskapp", operation,
 * destination = task id, message id = invocation id.
 */
import { createRequire } from 'node:module';
import type { Context, Span, SpanContext } from '@opentelemetry/api';
import type { InvocationRecord } from '../core/records.js';
import type { DataStore } from '../backends/data-store.js';
import type { RunningContext } from '../orchestration/context.js';
import type { Runtime } from './runtime.js';

const TRACER = 'taskapp';

type OtelApi = typeof import('@opentelemetry/api');
let loadedApi: OtelApi | undefined;
/**
 * The API, loaded at its first use: a process that no SDK traces never loads its 45 modules
 * (about 20 ms of CPU at every CLI command's and runner child's start). Its CommonJS build: the state it
 * shares with the user's SDK lives on a global, the same for both builds.
 */
function otel(): OtelApi {
  return (loadedApi ??= createRequire(import.meta.url)('@opentelemetry/api') as OtelApi);
}
/** Where API 1.x keeps what an SDK registered (its `trace` entry: the tracer provider). */
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');
/** The provider the API answers with while no SDK is registered. */
let noopProvider: unknown;

/** Data store key of an invocation's stored trace context. */
export const traceKey = (invocationId: string): string => `trace:${invocationId}`;

/** True once an SDK has registered a tracer provider in this process. */
export function tracingOn(): boolean {
  // Nothing registered a tracer provider yet: off, without loading the API.
  const registered = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[OTEL_GLOBAL];
  if (!registered?.trace) {
    return false;
  }
  const { trace, ProxyTracerProvider } = otel();
  noopProvider ??= new ProxyTracerProvider().getDelegate();
  const p = trace.getTracerProvider();
  return (p instanceof ProxyTracerProvider ? p.getDelegate() : p) !== noopProvider;
}

/** The span context as W3C `traceparent` (and `tracestate`) headers. */
export function toW3c(sc: SpanContext): string {
  const headers: Record<string, string> = {
    traceparent: `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`,
  };
  const state = sc.traceState?.serialize();
  if (state) {
    headers.tracestate = state;
  }
  return JSON.stringify(headers);
}

/** A context whose parent is the stored remote span; undefined for anything malformed. */
export function fromW3c(text: string): Context | undefined {
  const { createTraceState, isSpanContextValid, trace, ROOT_CONTEXT } = otel();
  let headers: { traceparent?: unknown; tracestate?: unknown };
  try {
    headers = JSON.parse(text) as typeof headers;
  } catch {
    return undefined;
  }
  const m =
    typeof headers.traceparent === 'string'
      ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(headers.traceparent)
      : null;
  if (!m) {
    return undefined;
  }
  const sc: SpanContext = {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16),
    isRemote: true,
    traceState:
      typeof headers.tracestate === 'string' ? createTraceState(headers.tracestate) : undefined,
  };
  return isSpanContextValid(sc) ? trace.setSpanContext(ROOT_CONTEXT, sc) : undefined;
}

/**
 * The parent of a call's producer span: the active OpenTelemetry span (an HTTP request's, the
 * user's), else the consumer span of the invocation making the call.
 */
function callerContext(running: RunningContext | undefined): Context {
  const { context: otelContext, trace } = otel();
  const active = otelContext.active();
  if (trace.getSpan(active)) {
    return active;
  }
  return (running?.trace as Context | undefined) ?? active;
}

export interface ProducerSpan {
  /** Stores the trace context of `ids` (before they are enqueued: a runner may start them at once). */
  store(ids: string[]): Promise<void>;
  /** Data store keys to reference from each invocation (so purge deletes them). */
  keys(id: string): string[];
  end(err?: unknown): void;
}

/** A PRODUCER span for one call or one parallelize batch; undefined while tracing is off. */
export function startProducer(
  app: Runtime,
  taskId: string,
  count: number,
  running: RunningContext | undefined,
): ProducerSpan | undefined {
  if (!tracingOn()) {
    return undefined;
  }
  const { trace, SpanKind, isSpanContextValid } = otel();
  const span = trace.getTracer(TRACER).startSpan(
    `send ${taskId}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'taskapp',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': taskId,
        'taskapp.app.id': app.appId,
        ...(count > 1 ? { 'messaging.batch.message_count': count } : {}),
        ...(running ? { 'taskapp.parent.invocation.id': running.invocationId } : {}),
      },
    },
    callerContext(running),
  );
  const sc = span.spanContext();
  if (!span.isRecording() && !isSpanContextValid(sc)) {
    span.end();
    return undefined;
  }
  const carrier = Buffer.from(toW3c(sc));
  return {
    async store(ids) {
      if (ids.length === 1) {
        span.setAttribute('messaging.message.id', ids[0]!);
        span.setAttribute('taskapp.invocation.id', ids[0]!);
      }
      const { data } = app.loadedBackends ?? (await app.backends());
      await Promise.all(ids.map((id) => data.put(traceKey(id), carrier)));
    },
    keys: (id) => [traceKey(id)],
    end(err) {
      if (err !== undefined) {
        recordFailure(span, err);
      }
      span.end();
    },
  };
}

function recordFailure(span: Span, err: unknown): void {
  const { SpanStatusCode } = otel();
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}

export interface ConsumerSpan {
  /** Runs `fn` with this span as the active context (the task's body). */
  run<T>(fn: () => T): T;
  /** A status change during the attempt (PAUSED, RESUMED, ...), as a span event. */
  status(status: string): void;
  /** The attempt's outcome: SUCCESS, or FAILED / RETRY with the exception. */
  end(status: string, err?: unknown): void;
}

/**
 * The CONSUMER span of one attempt, child of the stored producer context (a root span when the
 * caller was not traced); undefined while tracing is off. Sets `running.trace` for calls made by
 * the task.
 */
export async function startConsumer(
  app: Runtime,
  rec: InvocationRecord,
  runnerId: string,
  running: RunningContext,
): Promise<ConsumerSpan | undefined> {
  if (!tracingOn()) {
    return undefined;
  }
  const { trace, SpanKind, ROOT_CONTEXT, context: otelContext } = otel();
  const { data } = app.loadedBackends ?? (await app.backends());
  const stored = await data.get(traceKey(rec.id)).catch(() => null);
  const parent = (stored && fromW3c(stored.toString())) || ROOT_CONTEXT;
  const span = trace.getTracer(TRACER).startSpan(
    `process ${rec.taskId}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'taskapp',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': rec.taskId,
        'messaging.message.id': rec.id,
        'taskapp.app.id': app.appId,
        'taskapp.invocation.id': rec.id,
        'taskapp.invocation.attempt': rec.attempt,
        'taskapp.runner.id': runnerId,
        ...(rec.parentId ? { 'taskapp.parent.invocation.id': rec.parentId } : {}),
      },
    },
    parent,
  );
  span.addEvent('taskapp.status', { 'taskapp.status': 'RUNNING' });
  const active = trace.setSpan(parent, span);
  running.trace = active;
  return {
    run: (fn) => otelContext.with(active, fn),
    status: (status) => span.addEvent('taskapp.status', { 'taskapp.status': status }),
    end(status, err) {
      span.addEvent('taskapp.status', { 'taskapp.status': status });
      if (err !== undefined) {
        recordFailure(span, err);
      }
      span.end();
    },
  };
}

/** One recovery move of an invocation whose runner is gone. */
export interface RecoveryMove {
  id: string;
  taskId: string;
  /** RUNNING_RECOVERY or PENDING_RECOVERY. */
  via: string;
  /** REROUTED, or FAILED past max_recoveries. */
  to: string;
}

/**
 * The attempt's own span died with its runner: the recovering runner adds a short span
 * "recover <task>" to the invocation's trace, carrying the recovery statuses as events.
 * Best effort: tracing never fails a recovery.
 */
export async function traceRecovery(
  data: DataStore,
  moves: RecoveryMove[],
  runnerId: string | null,
): Promise<void> {
  if (!tracingOn() || moves.length === 0) {
    return;
  }
  const { trace, SpanKind, SpanStatusCode } = otel();
  const tracer = trace.getTracer(TRACER);
  await Promise.all(
    moves.map(async (m) => {
      const stored = await data.get(traceKey(m.id)).catch(() => null);
      const parent = stored ? fromW3c(stored.toString()) : undefined;
      if (!parent) {
        return; // not traced when called
      }
      const span = tracer.startSpan(
        `recover ${m.taskId}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'messaging.system': 'taskapp',
            'messaging.destination.name': m.taskId,
            'taskapp.invocation.id': m.id,
            ...(runnerId ? { 'taskapp.runner.id': runnerId } : {}),
          },
        },
        parent,
      );
      span.addEvent('taskapp.status', { 'taskapp.status': m.via });
      span.addEvent('taskapp.status', { 'taskapp.status': m.to });
      if (m.to === 'FAILED') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'recovered too often' });
      }
      span.end();
    }),
  );
}
