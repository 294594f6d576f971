/** The dashboard's JSON API, pages, action guard and /metrics, through hono's in-process fetch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebApp } from '../../src/monitoring/web/server.js';
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
    expect((await bad.json()).error).toMatch(/unknown status "DONE"/);
    expect((await get(web, '/api/invocations?from=yesterday')).status).toBe(400);
    expect((await get(web, '/api/invocations/nope')).status).toBe(404);
    const page = await get(web, '/invocations/nope');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('no invocation with id nope');
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
      expect(await r.text(), path).toContain('<header><b>taskapp</b>');
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
