/**
 * The dashboard's API and the terminal view's snapshot read only through the backend interfaces:
 * the same seeded app on every backend (sqlite, and redis/postgres when their servers answer).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWebApp } from '../../src/monitoring/web/server.js';
import { plainSnapshot } from '../../src/monitoring/tui/plain.js';
import { monitorSource } from '../../src/monitoring/tui/source.js';
import { MonitorData } from '../../src/monitoring/snapshot.js';
import { CHAOS_BACKENDS } from '../chaos/backends.js';
import { seedMonitorApp, type SeededApp } from '../helpers/monitor-app.js';
import { tempDir } from '../helpers/tmp.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

for (const backend of CHAOS_BACKENDS) {
  await backend.describe(`monitoring on ${backend.name}`, () => {
    const tmp = tempDir('taskapp-web-backends-');
    const storage = backend.fresh(tmp.dir);
    let s: SeededApp;
    beforeAll(async () => {
      s = await seedMonitorApp(tmp.dir, storage.options);
    });
    afterAll(async () => {
      await s?.app.close();
      await storage.cleanup();
      tmp.cleanup();
    });

    it('the web API shows counts, an invocation with its history, parent and children', async () => {
      const web = createWebApp(runtimeOf(s.app));
      try {
        const get = async (path: string) =>
          (await web.hono.request(`http://127.0.0.1:8000${path}`)).json();
        expect((await get('/api/overview')).counts).toMatchObject({
          SUCCESS: 6,
          FAILED: 1,
          RETRY: 1,
        });
        const sum = await get(`/api/invocations/${s.ids.sum}`);
        expect(sum.status).toBe('SUCCESS');
        expect(sum.history.map((h: { status: string }) => h.status)).toEqual(
          expect.arrayContaining(['REGISTERED', 'RUNNING', 'PAUSED', 'RESUMED', 'SUCCESS']),
        );
        expect(sum.children).toHaveLength(2);
        expect(
          (await get('/api/invocations?status=FAILED')).rows.map((r: { id: string }) => r.id),
        ).toEqual([s.ids.boom]);
        expect((await web.hono.request('http://127.0.0.1:8000/')).status).toBe(200);
      } finally {
        web.close();
      }
    });

    it('the terminal view snapshot shows the same counts', async () => {
      const text = plainSnapshot(
        await monitorSource(new MonitorData(runtimeOf(s.app))).snapshot(''),
        s.app.appId,
      );
      // The header names the configured backend (the cluster backend is `redis` too).
      expect(text).toContain(`taskapp monitor · app shop · ${String(storage.options.backend)}`);
      expect(text).toMatch(/SUCCESS\s+6/);
      expect(text).toMatch(/boom\s+FAILED/);
    });
  });
}
