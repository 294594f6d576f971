/**
 * Refreshes the README's screenshots in docs/ from the real programs (TASKAPP_UPDATE_SCREENSHOTS=1;
 * skipped otherwise): a sqlite app with an hour of past work plus live work on a thread runner,
 * the dashboard in chromium.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startWebServer } from '../../src/monitoring/web/server.js';
import { seedMonitorApp, seedPastHour } from '../helpers/monitor-app.js';
import { tempDir } from '../helpers/tmp.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const run = process.env.TASKAPP_UPDATE_SCREENSHOTS === '1' && existsSync('/usr/bin/chromium');

describe.skipIf(!run)('README screenshots', () => {
  it('writes docs/dashboard*.png', async () => {
    const tmp = tempDir('taskapp-screens-');
    const docs = join(process.cwd(), 'docs');
    mkdirSync(docs, { recursive: true });
    const s = await seedMonitorApp(tmp.dir);
    expect(await seedPastHour(s.app)).toBeGreaterThan(100);
    const runner = await s.app.startRunner({ runner: 'thread', concurrency: 4 });
    await s.app.getTask('slow')!.call({ ms: 60_000 });
    await s.app.getTask('slow')!.call({ ms: 60_000 });
    const web = await startWebServer(runtimeOf(s.app), { port: 0, allowActions: true });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      await page.goto(`${web.url}/`);
      await page.screenshot({ path: join(docs, 'dashboard.png') });
      await page.goto(`${web.url}/invocations/${s.ids.boom}`);
      await page.screenshot({ path: join(docs, 'dashboard-invocation.png') });
      await page.goto(`${web.url}/timeline?minutes=15`);
      await page.screenshot({ path: join(docs, 'dashboard-timeline.png') });
    } finally {
      await browser.close();
      await web.close();
      await runner.stop({ graceMs: 0 });
      await s.app.close();
      tmp.cleanup();
    }
  });
});
