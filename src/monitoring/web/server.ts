/**
 * `taskapp web`: a hono app serving server-rendered pages and the JSON API they sit on. Read-only
 * unless `allowActions`; actions are POSTs that need the per-server token in a custom header
 * (a cross-site form or image cannot send one) and, when the browser sends an Origin, the
 * server's own origin. On a loopback address every request must name a loopback Host, so a
 * DNS-rebinding page cannot read the API either.
 */
import { randomBytes } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { Runtime } from '../../runtime/runtime.js';
import { InvocationNotFoundError, TaskappError, UnknownTaskError } from '../../core/errors.js';
import { purgeFinished, rerun } from '../actions.js';
import { TaskMetrics } from '../metrics.js';
import { MonitorData, parseStatuses, type InvocationQuery } from '../snapshot.js';
import { CSS, JS } from './assets.js';
import { toJson } from './html.js';
import {
  detailPage,
  errorPage,
  invocationsPage,
  overviewPage,
  runnersPage,
  tasksPage,
  timelinePage,
  type PageContext,
} from './pages.js';

export interface WebOptions {
  allowActions?: boolean;
  /** Fixed action token (tests); default: random per server start. */
  token?: string;
  clock?: () => number;
  /** Refuse requests whose Host is not a loopback name (set when listening on a loopback address). */
  loopbackOnly?: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Parses a filter time: epoch ms, or an ISO / datetime-local string (server's time zone). */
export function parseTime(v: string | undefined, field: string): number | undefined {
  if (!v) {
    return undefined;
  }
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) {
    throw new TaskappError('BAD_FILTER', `${field}: "${v}" is not a time`, {
      fix: 'use epoch milliseconds or an ISO date like 2025-01-31T12:00',
      exitCode: 2,
    });
  }
  return n;
}

function intParam(v: string | undefined, field: string, def: number): number {
  if (v === undefined || v === '') {
    return def;
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new TaskappError('BAD_FILTER', `${field}: "${v}" is not a positive integer`, {
      fix: `pass ${field}=1, 2, ...`,
      exitCode: 2,
    });
  }
  return n;
}

export function createWebApp(
  app: Runtime,
  opts: WebOptions = {},
): { hono: Hono; metrics: TaskMetrics; token: string; close(): void } {
  const clock = opts.clock ?? Date.now;
  const data = new MonitorData(app, clock);
  const metrics = new TaskMetrics(app, data);
  const allowActions = opts.allowActions ?? false;
  const token = opts.token ?? randomBytes(24).toString('hex');
  const ctxOf = (): PageContext => ({
    appId: app.appId,
    now: clock(),
    allowActions,
    token: allowActions ? token : undefined,
  });
  const json = (c: Context, v: unknown, status = 200) =>
    c.body(toJson(v), status as 200, { 'content-type': 'application/json; charset=utf-8' });

  const query = (c: Context): InvocationQuery => ({
    taskId: c.req.query('task') || undefined,
    statuses: parseStatuses(c.req.query('status')),
    from: parseTime(c.req.query('from'), 'from'),
    to: parseTime(c.req.query('to'), 'to'),
    page: intParam(c.req.query('page'), 'page', 1),
    pageSize: intParam(c.req.query('pageSize'), 'pageSize', 50),
  });
  // minutes=0 (the page's default) fits the view to the last hour's work.
  const window = (c: Context) => {
    const m = c.req.query('minutes');
    const minutes = m === '0' || m === undefined ? 0 : intParam(m, 'minutes', 60);
    const to = parseTime(c.req.query('to'), 'to') ?? clock();
    const from = parseTime(c.req.query('from'), 'from') ?? to - (minutes || 60) * 60_000;
    return { from, to, minutes, fit: minutes === 0 && !c.req.query('from') };
  };

  const hono = new Hono();

  hono.use('*', async (c, next) => {
    const host = (c.req.header('host') ?? '').replace(/:\d+$/, '');
    if (opts.loopbackOnly && !LOOPBACK.has(host)) {
      return c.text(
        `host "${host}" is not served here; open http://127.0.0.1 or http://localhost\n`,
        421,
      );
    }
    await next();
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'same-origin');
  });

  // Actions: token header + same origin. Checked before the route runs.
  hono.use('/api/*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      return next();
    }
    if (!allowActions) {
      return json(
        c,
        { error: 'actions are disabled: start taskapp web with --allow-actions' },
        403,
      );
    }
    if (c.req.header('x-taskapp-token') !== token) {
      return json(
        c,
        { error: 'missing or wrong x-taskapp-token header (use the dashboard, which sends it)' },
        403,
      );
    }
    const origin = c.req.header('origin');
    if (origin && origin !== new URL(c.req.url).origin) {
      return json(c, { error: `cross-site request from ${origin} refused` }, 403);
    }
    return next();
  });

  hono.get('/static/app.css', (c) =>
    c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' }),
  );
  hono.get('/static/app.js', (c) =>
    c.body(JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'max-age=300',
    }),
  );
  hono.get('/metrics', async (c) =>
    c.body(await metrics.text(), 200, { 'content-type': metrics.contentType }),
  );

  // JSON API
  hono.get('/api/overview', async (c) => json(c, await data.overview()));
  hono.get('/api/throughput', async (c) =>
    json(c, await data.throughput(intParam(c.req.query('minutes'), 'minutes', 60) * 60_000)),
  );
  hono.get('/api/invocations', async (c) => json(c, await data.invocations(query(c))));
  hono.get('/api/invocations/:id', async (c) => json(c, await data.detail(c.req.param('id'))));
  hono.get('/api/timeline', async (c) => {
    const w = window(c);
    return json(c, await data.timeline(w.from, w.to, w));
  });
  hono.get('/api/tasks', (c) => json(c, data.tasks()));
  hono.get('/api/runners', async (c) => json(c, await data.runners()));
  hono.post('/api/invocations/:id/rerun', async (c) =>
    json(c, await rerun(app, c.req.param('id')), 201),
  );
  hono.post('/api/purge', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { olderThanSeconds?: unknown };
    return json(c, await purgeFinished(app, Number(body.olderThanSeconds ?? 0)));
  });

  // Pages
  hono.get('/', async (c) =>
    c.html(overviewPage(ctxOf(), await data.overview(), await data.throughput())),
  );
  hono.get('/invocations', async (c) => {
    const view = {
      task: c.req.query('task'),
      status: c.req.query('status'),
      from: c.req.query('from'),
      to: c.req.query('to'),
    };
    return c.html(invocationsPage(ctxOf(), await data.invocations(query(c)), view, app.taskIds()));
  });
  hono.get('/invocations/:id', async (c) =>
    c.html(detailPage(ctxOf(), await data.detail(c.req.param('id')))),
  );
  hono.get('/timeline', async (c) => {
    const w = window(c);
    return c.html(timelinePage(ctxOf(), await data.timeline(w.from, w.to, w), w.minutes));
  });
  hono.get('/tasks', (c) => c.html(tasksPage(ctxOf(), data.tasks())));
  hono.get('/runners', async (c) => c.html(runnersPage(ctxOf(), await data.runners())));

  hono.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? json(c, { error: `no route ${c.req.path}` }, 404)
      : c.html(errorPage(ctxOf(), 404, `no page ${c.req.path}`), 404),
  );
  hono.onError((err, c) => {
    const status =
      err instanceof InvocationNotFoundError
        ? 404
        : err instanceof UnknownTaskError
          ? 409
          : err instanceof TaskappError && err.exitCode === 2
            ? 400
            : 500;
    if (status === 500) {
      app.logger.error('web request failed', { path: c.req.path, error: err.stack });
    }
    const message = status === 500 ? `internal error: ${err.message}` : err.message;
    return c.req.path.startsWith('/api/')
      ? json(c, { error: message }, status)
      : c.html(errorPage(ctxOf(), status, message), status as 404);
  });

  return { hono, metrics, token, close: () => metrics.close() };
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export async function startWebServer(
  app: Runtime,
  opts: WebOptions & { port?: number; host?: string } = {},
): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  const web = createWebApp(app, { loopbackOnly: LOOPBACK.has(host), ...opts });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: web.hono.fetch, port: opts.port ?? 8000, hostname: host }, () =>
      resolve(s),
    );
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new TaskappError('PORT_IN_USE', `port ${opts.port} on ${host} is already in use`, {
              fix: 'pass another --port',
              exitCode: 2,
            })
          : err,
      ),
    );
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 8000);
  const shown = LOOPBACK.has(host) || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    port,
    token: web.token,
    close: () =>
      new Promise((resolve) => {
        web.close();
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
