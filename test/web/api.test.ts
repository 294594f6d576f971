/** The dashboard's JSON API, pages, action guard and /metrics, through hono's in-process fetch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureWarning } from '../../src/monitoring/web/run.js';
import { createWebApp, startWebServer } from '../../src/monitoring/web/server.js';
import { serveMetrics } from '../../src/monitoring/metrics.js';
import { seedMonitorApp, type SeededApp } from '../helpers/monitor-app.js';
import { tempDir } from '../helpers/tmp.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const tmp = tempDir('taskapp-web-api-');
let s: SeededApp;
beforeAll(async () => {
  s = await seedMonitorApp(tmp.dir);
});
afterAll(async () => {
  await s?.app.close();
  tmp.cleanup();
});

const TOKEN = 't0ken';
const get = async (
  web: ReturnType<typeof createWebApp>,
  path: string,
  headers: Record<string, string> = {},
) => web.hono.request(`http://127.0.0.1:8000${path}`, { headers });
const post = (
  web: ReturnType<typeof createWebApp>,
  path: string,
  headers: Record<string, string>,
  body: unknown = {},
) =>
  web.hono.request(`http://127.0.0.1:8000${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('read-only dashboard', () => {
  let web: ReturnType<typeof createWebApp>;
  beforeAll(() => {
    web = createWebApp(runtimeOf(s.app));
  });
  afterAll(() => web.close());

  it('marks a paused task on /tasks and /api/tasks', async () => {
    // The seeded flaky invocation waiting in RETRY is parked by the pause.
    const { parked } = await s.app.pauseTask('flaky');
    try {
      const tasks = (await (await get(web, '/api/tasks')).json()) as Array<{
        id: string;
        paused?: { parked: number };
      }>;
      expect(tasks.find((t) => t.id === 'flaky')?.paused).toEqual({ parked });
      expect(tasks.find((t) => t.id !== 'flaky')?.paused).toBeUndefined();
      expect(await (await get(web, '/tasks')).text()).toContain(`paused · ${parked} waiting`);
    } finally {
      await s.app.resumeTask('flaky');
    }
    expect(await (await get(web, '/tasks')).text()).not.toContain('paused ·');
  });

  it('serves the JSON API behind every page', async () => {
    const o = await (await get(web, '/api/overview')).json();
    expect(o.counts).toMatchObject({ SUCCESS: 6, FAILED: 1, RETRY: 1 });
    const page = await (await get(web, '/api/invocations?status=FAILED,RETRY&pageSize=1')).json();
    expect(page.rows).toHaveLength(1);
    expect(page.hasNext).toBe(true);
    const d = await (await get(web, `/api/invocations/${s.ids.boom}`)).json();
    expect(d.error.name).toBe('RangeError');
    expect(
      (await (await get(web, '/api/tasks')).json()).map((t: { id: string }) => t.id),
    ).toContain('flaky');
    expect((await (await get(web, '/api/timeline?minutes=60')).json()).lanes).toHaveLength(1);
    expect(await (await get(web, '/api/runners')).json()).toEqual([]);
    expect((await (await get(web, '/api/throughput')).json()).created).toHaveLength(60);
  });

  it('answers bad filters with 400, unknown ids with 404', async () => {
    const bad = await get(web, '/api/invocations?status=DONE');
    expect(bad.status).toBe(400);
    const body = await bad.json();
    expect(body.error).toBe('unknown status "DONE"');
    expect(body.fix).toMatch(/^use one of REGISTERED, /);
    const badPage = await (await get(web, '/invocations?status=DONE')).text();
    expect(badPage).toContain('<p class="fix">fix: use one of REGISTERED, ');
    expect((await get(web, '/api/invocations?from=yesterday')).status).toBe(400);
    expect((await get(web, '/api/invocations/nope')).status).toBe(404);
    const page = await get(web, '/invocations/nope');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('no invocation with id nope');
  });

  it('bounds every numeric query parameter: 400 naming parameter, value and range', async () => {
    const cases: [string, string, string][] = [
      ['/api/throughput?minutes=100000000', 'minutes', '100000000'],
      ['/api/throughput?minutes=0', 'minutes', '0'],
      ['/api/throughput?minutes=1e3', 'minutes', '1e3'],
      ['/api/timeline?minutes=100000000', 'minutes', '100000000'],
      ['/timeline?minutes=-5', 'minutes', '-5'],
      ['/api/invocations?pageSize=1000000', 'pageSize', '1000000'],
      ['/api/invocations?pageSize=0', 'pageSize', '0'],
      ['/api/invocations?page=99999999999999999999', 'page', '99999999999999999999'],
      ['/invocations?page=1000001', 'page', '1000001'],
      ['/api/invocations?from=99999999999999999999', 'from', '99999999999999999999'],
      ['/api/timeline?to=99999999999999999', 'to', '99999999999999999'],
      ['/api/timeline?from=2000&to=1000', 'from', '2000'],
    ];
    for (const [path, parameter, value] of cases) {
      const r = await get(web, path);
      expect(r.status, path).toBe(400);
      if (path.startsWith('/api/')) {
        const body = await r.json();
        expect(body, path).toMatchObject({ code: 'BAD_PARAMETER', parameter, value });
        expect(body.error, path).toContain(`${parameter}: "${value.slice(0, 40)}`);
        expect(body.allowed, path).toBeDefined();
      } else {
        expect(await r.text(), path).toContain(
          `${parameter}: &quot;${value}&quot; is out of range`,
        );
      }
    }
    const big = await (await get(web, '/api/throughput?minutes=100000000')).json();
    expect(big.allowed).toEqual({ min: 1, max: 10080 });
    expect(big.error).toContain('expected an integer from 1 to 10080');
    expect((await (await get(web, '/api/throughput?minutes=10080')).json()).created).toHaveLength(
      10080,
    );
    expect((await get(web, '/api/invocations?page=2&pageSize=500')).status).toBe(200);
  });

  it('sends a Content-Security-Policy, and pages carry no inline script, style or handler', async () => {
    for (const path of ['/', '/invocations', '/timeline', '/tasks', '/runners', '/api/overview']) {
      const r = await get(web, path);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).not.toContain('unsafe-inline');
      const text = await r.text();
      expect(text, path).not.toMatch(/ style="| on[a-z]+="|<script>|<style/);
    }
  });

  it('renders every page server-side, escaping stored text', async () => {
    for (const path of [
      '/',
      '/invocations',
      '/timeline',
      '/tasks',
      '/runners',
      `/invocations/${s.ids.sum}`,
    ]) {
      const r = await get(web, path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('x-frame-options'), path).toBe('DENY');
      expect(await r.text(), path).toMatch(/<header>\s*<b>taskapp<\/b>/);
    }
    const boom = await (await get(web, `/invocations/${s.ids.boom}`)).text();
    expect(boom).toContain('RangeError: boom: bad input');
    expect(boom).toContain('disabled title="start taskapp web with --allow-actions"');
    expect(boom).not.toContain('taskapp-token');
    const { state } = await runtimeOf(s.app).backends();
    await state.insert(
      [
        {
          id: '<script>x</script>',
          taskId: '<b>t</b>',
          args: '{"html":"<img src=x onerror=alert(1)>"}',
          priority: 5,
          parentId: null,
          workflowId: null,
        },
      ],
      Date.now(),
    );
    const list = await (await get(web, '/invocations?task=%3Cb%3Et%3C%2Fb%3E')).text();
    expect(list).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(list).not.toContain('<script>x</script>');
    const detail = await (
      await get(web, `/invocations/${encodeURIComponent('<script>x</script>')}`)
    ).text();
    expect(detail).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(detail).not.toContain('<img src=x');
    await runtimeOf(s.app)
      .backends()
      .then((b) =>
        b.orchestrator.transition(
          { id: '<script>x</script>', to: 'CONCURRENCY_CONTROLLED_FINAL', runnerId: null },
          Date.now(),
        ),
      );
  });

  it('refuses actions when read-only', async () => {
    const r = await post(web, `/api/invocations/${s.ids.add[0]}/rerun`, {
      'x-taskapp-token': web.token,
    });
    expect(r.status).toBe(403);
    expect((await r.json()).error).toMatch(/--allow-actions/);
  });

  it('serves Prometheus metrics read from the backends', async () => {
    const text = await (await get(web, '/metrics')).text();
    expect(text).toContain('taskapp_invocations{status="SUCCESS"} 6');
    expect(text).toContain('taskapp_invocations{status="RETRY"} 1');
    expect(text).toContain('taskapp_queue_depth 1');
    expect(text).toContain('taskapp_runners_alive 0');
    expect(text).toContain('# TYPE taskapp_task_duration_seconds histogram');
  });

  it('refuses a non-loopback Host when bound to loopback (DNS rebinding)', async () => {
    const guarded = createWebApp(runtimeOf(s.app), { loopbackOnly: true });
    expect((await get(guarded, '/api/overview', { host: 'evil.example:8000' })).status).toBe(421);
    expect((await get(guarded, '/api/overview', { host: 'localhost:8000' })).status).toBe(200);
    guarded.close();
  });
});

describe('dashboard with --allow-actions', () => {
  let web: ReturnType<typeof createWebApp>;
  beforeAll(() => {
    web = createWebApp(runtimeOf(s.app), { allowActions: true, token: TOKEN });
  });
  afterAll(() => web.close());

  it('requires the token header and a same-origin request', async () => {
    const id = s.ids.add[0]!;
    expect((await post(web, `/api/invocations/${id}/rerun`, {})).status).toBe(403);
    expect(
      (await post(web, `/api/invocations/${id}/rerun`, { 'x-taskapp-token': 'wrong' })).status,
    ).toBe(403);
    const cross = await post(web, `/api/invocations/${id}/rerun`, {
      'x-taskapp-token': TOKEN,
      origin: 'http://evil.example',
    });
    expect(cross.status).toBe(403);
    expect((await cross.json()).error).toMatch(/cross-site/);
    const page = await (await get(web, `/invocations/${id}`)).text();
    expect(page).toContain(`<meta name="taskapp-token" content="${TOKEN}">`);
  });

  it('reruns an invocation: a new call of the same task with the same args', async () => {
    const r = await post(web, `/api/invocations/${s.ids.boom}/rerun`, {
      'x-taskapp-token': TOKEN,
      origin: 'http://127.0.0.1:8000',
    });
    expect(r.status).toBe(201);
    const { id, rerunOf } = await r.json();
    expect(rerunOf).toBe(s.ids.boom);
    const rec = await s.app.getRecord(id);
    expect(rec).toMatchObject({ taskId: 'boom', status: 'REGISTERED' });
    expect(runtimeOf(s.app).serializer.deserialize(rec.args)).toEqual({ why: 'bad input' });
    const text = await (await get(web, '/metrics')).text();
    expect(text).toContain('taskapp_tasks_submitted_total{task="boom"} 1');
    // The new invocation names the one it reruns, with the progress its task reported.
    const { state } = await runtimeOf(s.app).backends();
    await state.setExtras(id, { progress: { value: 0.42, message: 'resizing 42/100', at: 1 } });
    expect(await (await get(web, `/api/invocations/${id}`)).json()).toMatchObject({
      rerunOf: s.ids.boom,
      progress: { value: 0.42, message: 'resizing 42/100' },
    });
    const page = await (await get(web, `/invocations/${id}`)).text();
    expect(page).toContain('<progress max="1" value="0.42"></progress> 42% resizing 42/100');
    expect(page).toMatch(new RegExp(`Rerun of</th><td><a [^>]*${s.ids.boom}`));
  });

  it('cancels a waiting invocation (CANCELLED, never runs); a bad body is a 400', async () => {
    const inv = await s.app.getTask('add')!.call({ x: 1, y: 1 });
    const page = await (await get(web, `/invocations/${inv.id}`)).text();
    expect(page).toContain(`<button id="cancel" data-id="${inv.id}">`);
    const bad = await post(
      web,
      `/api/invocations/${inv.id}/cancel`,
      { 'x-taskapp-token': TOKEN },
      { children: 'yes' },
    );
    expect(bad.status).toBe(400);
    const r = await post(
      web,
      `/api/invocations/${inv.id}/cancel`,
      { 'x-taskapp-token': TOKEN },
      { reason: 'from the dashboard' },
    );
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual([{ id: inv.id, outcome: 'cancelled', status: 'CANCELLED' }]);
    expect((await s.app.getRecord(inv.id)).status).toBe('CANCELLED');
    const after = await (await get(web, `/invocations/${inv.id}`)).text();
    expect(after).not.toContain('<button id="cancel"');
  });

  it('purges finished invocations older than asked', async () => {
    const bad = await post(
      web,
      '/api/purge',
      { 'x-taskapp-token': TOKEN },
      { olderThanSeconds: -1 },
    );
    expect(bad.status).toBe(400);
    const none = await (
      await post(web, '/api/purge', { 'x-taskapp-token': TOKEN }, { olderThanSeconds: 3600 })
    ).json();
    expect(none).toEqual({ purged: 0 });
  });
});

describe('dashboard off loopback', () => {
  const SECRET = 'a-real-secret-of-32-characters!!';

  it('refuses --allow-actions without a real secret token, with a clear error', async () => {
    const none = await startWebServer(runtimeOf(s.app), {
      host: '0.0.0.0',
      port: 0,
      allowActions: true,
    }).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'WEB_TOKEN_REQUIRED', exitCode: 2 });
    expect((none as Error).message).toMatch(
      /--allow-actions on 0\.0\.0\.0 \(not loopback\) needs a secret token of at least 16 characters/,
    );
    expect((none as { fix: string }).fix).toContain('TASKAPP_WEB_TOKEN');
    const short = await startWebServer(runtimeOf(s.app), {
      host: '0.0.0.0',
      port: 0,
      allowActions: true,
      token: 'abc',
    }).catch((e: unknown) => e);
    expect((short as Error).message).toContain('(the one given has 3)');
    // Read-only off loopback needs no token.
    const ro = await startWebServer(runtimeOf(s.app), { host: '0.0.0.0', port: 0 });
    await ro.close();
  });

  it('with a secret: pages do not carry it, actions need it', async () => {
    const server = await startWebServer(runtimeOf(s.app), {
      host: '0.0.0.0',
      port: 0,
      allowActions: true,
      token: SECRET,
    });
    try {
      const page = await (await fetch(`${server.url}/`)).text();
      expect(page).toContain('actions enabled');
      expect(page).not.toContain(SECRET);
      expect(page).not.toContain('taskapp-token" content');
      const purge = (token?: string) =>
        fetch(`${server.url}/api/purge`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { 'x-taskapp-token': token } : {}),
          },
          body: JSON.stringify({ olderThanSeconds: 360_000 }),
        });
      expect((await purge()).status).toBe(403);
      expect((await purge('guess')).status).toBe(403);
      expect((await purge(SECRET)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('the start-up warning says what is exposed and that actions need the secret', () => {
    expect(exposureWarning('127.0.0.1', true)).toBeNull();
    expect(exposureWarning('0.0.0.0', true)).toMatch(
      /listening on 0\.0\.0\.0: anyone who can reach this address can read task arguments and results; rerun and purge need the secret token \(TASKAPP_WEB_TOKEN or --token\)/,
    );
    expect(exposureWarning('0.0.0.0', false)).toContain('actions are off (read-only)');
  });
});

describe('runner metrics endpoint', () => {
  it('counts what a runner in this process started and finished, by task', async () => {
    const m = await serveMetrics(runtimeOf(s.app), 0, '127.0.0.1');
    try {
      const runner = await s.app.startRunner({ runner: 'thread', concurrency: 2 });
      await s.app.getTask('add')!.run({ x: 5, y: 5 }, { timeoutMs: 30_000 });
      await runner.stop();
      const text = await (await fetch(`http://127.0.0.1:${m.port}/metrics`)).text();
      expect(text).toContain('taskapp_tasks_submitted_total{task="add"} 1');
      expect(text).toMatch(/taskapp_tasks_started_total\{task="add"\} 1\b/);
      expect(text).toMatch(/taskapp_tasks_succeeded_total\{task="add"\} 1\b/);
      expect(text).toMatch(
        /taskapp_task_duration_seconds_count\{task="add",status="SUCCESS"\} 1\b/,
      );
      expect((await fetch(`http://127.0.0.1:${m.port}/other`)).status).toBe(404);
    } finally {
      await m.close();
    }
  });
});
