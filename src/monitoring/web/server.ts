/**
 * `taskapp web`: a hono app serving server-rendered pages and the JSON API they sit on. Read-only
 * unless `allowActions`; actions are POSTs that need the per-server token in a custom header
 * (a cross-site form or image cannot send one) and, when the browser sends an Origin, the
 * server's own origin. On a loopback address every request must name a loopback Host, so a
 * DNS-rebinding page cannot read the API either.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { Runtime } from '../../runtime/runtime.js';
import { InvocationNotFoundError, TaskappError, UnknownTaskError } from '../../core/errors.js';
import { cancel, purgeFinished, rerun } from '../actions.js';
import { TaskMetrics } from '../metrics.js';
import { MonitorData, parseStatuses, type InvocationQuery } from '../snapshot.js';
import { CSS, JS } from './assets.js';
import { toJson } from './html.js';
import { BadParameterError, intParam, PARAM_RANGES, timeParam } from './params.js';
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

interface WebOptions {
  allowActions?: boolean;
  /** Fixed action token (--token, TASKAPP_WEB_TOKEN, tests); default: random per server start. */
  token?: string;
  /**
   * The token is a secret the user holds: pages do not carry it (the dashboard asks for it). Set
   * off loopback, where anyone who can load a page could otherwise read it.
   */
  secretToken?: boolean;
  clock?: () => number;
  /** Refuse requests whose Host is not a loopback name (set when listening on a loopback address). */
  loopbackOnly?: boolean;
}

/** Only this server's own files run or style a page: an injected tag or attribute does nothing. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

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
    token: allowActions && !opts.secretToken ? token : undefined,
  });
  const json = (c: Context, v: unknown, status = 200) =>
    c.body(toJson(v), status as 200, { 'content-type': 'application/json; charset=utf-8' });

  const query = (c: Context): InvocationQuery => ({
    taskId: c.req.query('task') || undefined,
    statuses: parseStatuses(c.req.query('status')),
    from: timeParam(c.req.query('from'), 'from'),
    to: timeParam(c.req.query('to'), 'to'),
    page: intParam(c.req.query('page'), 'page', 1, PARAM_RANGES.page),
    pageSize: intParam(c.req.query('pageSize'), 'pageSize', 50, PARAM_RANGES.pageSize),
  });
  // minutes=0 (the page's default) fits the view to the last hour's work.
  const window = (c: Context) => {
    const m = c.req.query('minutes');
    const minutes =
      m === '0' || m === undefined ? 0 : intParam(m, 'minutes', 60, PARAM_RANGES.minutes);
    const to = timeParam(c.req.query('to'), 'to') ?? clock();
    const from = timeParam(c.req.query('from'), 'from') ?? to - (minutes || 60) * 60_000;
    if (from > to) {
      throw new BadParameterError('from', String(c.req.query('from')), 'a time before `to`');
    }
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
    c.header('content-security-policy', CONTENT_SECURITY_POLICY);
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
    if (!sameSecret(c.req.header('x-taskapp-token') ?? '', token)) {
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
    json(
      c,
      await data.throughput(
        intParam(c.req.query('minutes'), 'minutes', 60, PARAM_RANGES.minutes) * 60_000,
      ),
    ),
  );
  hono.get('/api/invocations', async (c) => json(c, await data.invocations(query(c))));
  hono.get('/api/invocations/:id', async (c) => json(c, await data.detail(c.req.param('id'))));
  hono.get('/api/timeline', async (c) => {
    const w = window(c);
    return json(c, await data.timeline(w.from, w.to, w));
  });
  hono.get('/api/tasks', async (c) => json(c, await data.tasks()));
  hono.get('/api/runners', async (c) => json(c, await data.runners()));
  hono.post('/api/invocations/:id/rerun', async (c) =>
    json(c, await rerun(app, c.req.param('id')), 201),
  );
  hono.post('/api/invocations/:id/cancel', async (c) =>
    json(c, await cancel(app, c.req.param('id'), await c.req.json().catch(() => ({})))),
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
  hono.get('/tasks', async (c) => c.html(tasksPage(ctxOf(), await data.tasks())));
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
    const fix = err instanceof TaskappError ? err.fix : undefined;
    const detail =
      err instanceof BadParameterError
        ? { code: err.code, parameter: err.parameter, value: err.value, allowed: err.allowed }
        : {};
    return c.req.path.startsWith('/api/')
      ? json(c, { error: message, ...(fix ? { fix } : {}), ...detail }, status)
      : c.html(errorPage(ctxOf(), status, message, fix), status as 404);
  });

  return { hono, metrics, token, close: () => metrics.close() };
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Shortest token accepted off loopback: a guessable one would be no protection. */
export const MIN_SECRET_TOKEN_LENGTH = 16;

export const isLoopback = (host: string): boolean => LOOPBACK.has(host);

/**
 * Off loopback, actions need a secret the user gave (pages served to the network must not carry
 * it): refuses to start without one.
 */
function checkActionToken(host: string, opts: WebOptions): void {
  if (!opts.allowActions || LOOPBACK.has(host)) {
    return;
  }
  if (!opts.token || opts.token.length < MIN_SECRET_TOKEN_LENGTH) {
    throw new TaskappError(
      'WEB_TOKEN_REQUIRED',
      `--allow-actions on ${host} (not loopback) needs a secret token of at least ${MIN_SECRET_TOKEN_LENGTH} characters${opts.token ? ` (the one given has ${opts.token.length})` : ''}: without one, anyone who can reach the dashboard could rerun and purge`,
      {
        fix: 'set TASKAPP_WEB_TOKEN=$(openssl rand -hex 24) (or pass --token), or listen on 127.0.0.1, or drop --allow-actions',
        exitCode: 2,
      },
    );
  }
}

/** Token comparison in constant time (hashes have equal lengths). */
function sameSecret(given: string, expected: string): boolean {
  const h = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(h(given), h(expected));
}

export async function startWebServer(
  app: Runtime,
  opts: WebOptions & { port?: number; host?: string } = {},
): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  checkActionToken(host, opts);
  const web = createWebApp(app, {
    loopbackOnly: LOOPBACK.has(host),
    secretToken: !LOOPBACK.has(host),
    ...opts,
  });
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
