/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core against a seeded
 * sqlite app with a live thread runner. Loads each page, checks content, clicks into an
 * invocation, reruns it, and saves screenshots to test-artifacts/ (the CI artifact).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runner } from '../../src/index.js';
import { startWebServer, type WebServer } from '../../src/monitoring/web/server.js';
import { seedMonitorApp, type SeededApp } from '../helpers/monitor-app.js';
import { tempDir } from '../helpers/tmp.js';
import { runtimeOf } from '../../src/runtime/runtime.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

const required = process.env.TASKAPP_TEST_SERVICES === 'required';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && required) {
  throw new Error(`${CHROMIUM} is missing: .ci/run must apt-get install -y chromium`);
}
if (!haveChromium) {
  console.warn(`skipping the browser test: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

describe.skipIf(!haveChromium)('dashboard in chromium', () => {
  const tmp = tempDir('taskapp-web-browser-');
  let s: SeededApp;
  let web: WebServer;
  let runner: Runner;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    s = await seedMonitorApp(tmp.dir);
    runner = await s.app.startRunner({ runner: 'thread', concurrency: 4 });
    await s.app.getTask('slow')!.call({ ms: 60_000 });
    const { state } = await runtimeOf(s.app).backends();
    for (let i = 0; i < 200 && !(await state.list({ statuses: ['RUNNING'] })).length; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    web = await startWebServer(runtimeOf(s.app), { port: 0, allowActions: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) {
        cspViolations.push(m.text());
      }
    });
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await runner?.stop({ graceMs: 0 });
    await s?.app.close();
    tmp.cleanup();
  });

  const shot = (name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('overview: counts by status, throughput, the live runner and what it runs', async () => {
    await page.goto(`${web.url}/`);
    await expect.poll(() => page.textContent('[data-count="SUCCESS"]')).toBe('6');
    expect(await page.textContent('[data-count="FAILED"]')).toBe('1');
    expect(await page.textContent('[data-count="RETRY"]')).toBe('1');
    expect(await page.textContent('[data-stat="runnersAlive"]')).toBe('1');
    expect(await page.locator('svg.throughput rect').count()).toBeGreaterThan(0);
    const runners = await page.textContent('table.runners');
    expect(runners).toContain(runner.id);
    expect(runners).toContain('alive');
    expect(runners).toContain('slow');
    await shot('dashboard');
  });

  it('invocations: filter by status, then click into the failed one', async () => {
    await page.goto(`${web.url}/invocations`);
    expect(await page.locator('table.invocations tbody tr').count()).toBe(9);
    await page.selectOption('select[name="status"]', 'FAILED');
    await Promise.all([
      page.waitForURL(/status=FAILED/),
      page.click('form.filters button[type="submit"]'),
    ]);
    const rows = page.locator('table.invocations tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('boom');
    await Promise.all([
      page.waitForURL(new RegExp(`/invocations/${s.ids.boom}$`)),
      rows.first().locator('a').first().click(),
    ]);
    expect(await page.textContent('pre.err')).toContain('RangeError: boom: bad input');
    expect(await page.textContent('pre.args')).toContain('"why": "bad input"');
    expect(await page.locator('table.history tbody tr').count()).toBe(4);
    await shot('dashboard-invocation');
  });

  it('invocation detail: parent, children and stored logs; rerun makes a new invocation', async () => {
    await page.goto(`${web.url}/invocations/${s.ids.sum}`);
    expect(await page.textContent('pre.result')).toContain('10');
    const children = page.locator('table.invocations tbody tr');
    expect(await children.count()).toBe(2);
    await Promise.all([
      page.waitForURL(/\/invocations\/[^/]+$/),
      children.first().locator('a').first().click(),
    ]);
    expect(await page.textContent('table.facts')).toContain(s.ids.sum);
    expect(await page.textContent('table.logs')).toContain('adding');
    const childUrl = page.url();
    await Promise.all([page.waitForURL((u) => u.href !== childUrl), page.click('#rerun')]);
    const newId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const rec = await s.app.getRecord(newId);
    expect(rec.taskId).toBe('add');
    expect(runtimeOf(s.app).serializer.deserialize(rec.args)).toEqual({ x: 1, y: 2 });
  });

  it('timeline: one lane per runner, bars coloured by status', async () => {
    await page.goto(`${web.url}/timeline`);
    expect(await page.locator('svg.timeline g.lane').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('rect.span[data-status="FAILED"]').count()).toBe(1);
    expect(await page.locator('rect.span[data-status="RUNNING"]').count()).toBeGreaterThanOrEqual(
      1,
    );
    await shot('dashboard-timeline');
  });

  it('tasks with effective options and runners pages', async () => {
    await page.goto(`${web.url}/tasks`);
    const tasks = await page.textContent('table.tasks');
    expect(tasks).toContain('max_retries = 3');
    expect(tasks).toContain('cron = "0 0 1 1 *"');
    await page.goto(`${web.url}/runners`);
    expect(await page.textContent('table.runners')).toContain(runner.id);
    await shot('dashboard-runners');
  });

  it('works under its Content-Security-Policy: styles from the stylesheet, script-driven controls', async () => {
    await page.goto(`${web.url}/`);
    const border = await page
      .locator('a.status-card.bl-FAILED')
      .evaluate((el) => getComputedStyle(el).borderLeftColor);
    expect(border).toBe('rgb(198, 40, 40)');
    await page.goto(`${web.url}/timeline`);
    await Promise.all([
      page.waitForURL(/minutes=15/),
      page.selectOption('select[name="minutes"]', '15'),
    ]);
    expect(cspViolations).toEqual([]);
  });
});
