/**
 * End to end in a real pseudo-terminal: `taskapp monitor` (the oclif command) runs inside tmux
 * against a seeded sqlite app while a thread runner works on it from this process; the test sends
 * keys and reads the screen. Saves the screen as text (test-artifacts/) and, with chromium, as a
 * PNG (test-artifacts/monitor.png, or docs/monitor.png with TASKAPP_UPDATE_SCREENSHOTS=1).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runner } from '../../../src/index.js';
import { ansiToHtml } from '../../helpers/ansi-html.js';
import { seedMonitorApp, type SeededApp } from '../../helpers/monitor-app.js';
import { tempDir } from '../../helpers/tmp.js';
import { ensureBuilt } from '../../cli/helpers.js';

const haveTmux = spawnSync('tmux', ['-V']).status === 0;
if (!haveTmux && process.env.TASKAPP_TEST_SERVICES === 'required') {
  throw new Error('tmux is missing: .ci/run must apt-get install -y tmux');
}
const ROOT = process.cwd();
const ARTIFACTS = join(ROOT, 'test-artifacts');

describe.skipIf(!haveTmux)('taskapp monitor in tmux', () => {
  const tmp = tempDir('taskapp-tui-tmux-');
  const sock = `taskapp-test-${process.pid}`;
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  const screen = (ansi = false) => tmux('capture-pane', '-p', ...(ansi ? ['-e'] : []), '-t', 'mon');
  const keys = (...k: string[]) => tmux('send-keys', '-t', 'mon', ...k);
  const alive = () => spawnSync('tmux', ['-L', sock, 'has-session', '-t', 'mon']).status === 0;
  async function waitFor(text: string | RegExp, tries = 300): Promise<string> {
    let last = '';
    for (let i = 0; i < tries; i++) {
      last = alive() ? screen() : '(session ended)';
      if (typeof text === 'string' ? last.includes(text) : text.test(last)) {
        return last;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`screen never showed ${text}; last screen:\n${last}`);
  }
  let s: SeededApp;
  let runner: Runner;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await ensureBuilt(); // the built binary starts fast even on a loaded machine (no TypeScript to compile)
    s = await seedMonitorApp(tmp.dir);
    runner = await s.app.startRunner({ runner: 'thread', concurrency: 2 });
    await s.app.getTask('slow')!.call({ ms: 60_000 });
    writeFileSync(
      join(tmp.dir, 'taskapp.toml'),
      'app_id = "shop"\nbackend = "sqlite"\nlogging_level = "error"\n[sqlite]\npath = "monitor.db"\n',
    );
    // CI=true (as CI sets it) makes ink print only the last frame: a person at a terminal has no CI.
    const cmd = `cd ${ROOT} && exec env -u CI -u CONTINUOUS_INTEGRATION node bin/run.js monitor --config ${join(tmp.dir, 'taskapp.toml')} --refresh 300`;
    tmux(
      'new-session',
      '-d',
      '-s',
      'mon',
      '-x',
      '120',
      '-y',
      '48',
      '-e',
      'TERM=xterm-256color',
      '-e',
      'FORCE_COLOR=1',
      cmd,
    );
  });
  afterAll(async () => {
    if (alive()) {
      spawnSync('tmux', ['-L', sock, 'kill-server']);
    }
    await runner?.stop({ graceMs: 0 });
    await s?.app.close();
    tmp.cleanup();
  });

  it('shows counts, the live runner and its work, moves, opens detail, filters and quits', async () => {
    let text = await waitFor(/RUNNING\s+\d/, 600); // first frame: allow a slow start on a busy machine
    text = await waitFor('slow RUNNING');
    expect(text).toContain('taskapp monitor · app shop · sqlite');
    expect(text).toMatch(/SUCCESS\s+6/);
    expect(text).toMatch(/FAILED\s+1/);
    expect(text).toMatch(/RETRY\s+1/);
    expect(text).toContain('Runners (1 alive)');
    expect(text).toContain(runner.id);
    expect(text).toMatch(/> \w{8}\s+slow\s+RUNNING/); // newest first: the slow one is selected

    writeFileSync(join(ARTIFACTS, 'monitor.txt'), screen());
    // docs/monitor.png (the README's) is refreshed only with TASKAPP_UPDATE_SCREENSHOTS=1.
    const png =
      process.env.TASKAPP_UPDATE_SCREENSHOTS === '1'
        ? join(ROOT, 'docs', 'monitor.png')
        : join(ARTIFACTS, 'monitor.png');
    writeFileSync(join(ARTIFACTS, 'monitor.html'), ansiToHtml(screen(true)));

    // Filter to FAILED, then open the failed invocation's detail.
    keys('/');
    await waitFor('filter (task or STATUS[,STATUS]):');
    keys('-l', 'FAILED');
    keys('Enter');
    text = await waitFor('(filter: FAILED)');
    text = await waitFor('error  RangeError: boom: bad input');
    expect(text).toMatch(/> \w{8}\s+boom\s+FAILED/);
    expect(text).not.toMatch(/│ [ >] \w{8}\s+slow/); // the list holds only FAILED rows
    keys('Enter');
    text = await waitFor('at Task.fn');
    expect(text).not.toContain('Latest invocations');
    keys('Escape');
    await waitFor('Latest invocations');
    keys('Escape'); // clears the filter
    text = await waitFor(/│ > \w{8}\s+slow\s+RUNNING/);
    expect(text).not.toContain('(filter:');
    keys('Down'); // from the newest (slow) to the next (the last child of sum)
    text = await waitFor(/│ > \w{8}\s+add\s+SUCCESS/);
    expect(text).toMatch(/│ {3}\w{8}\s+slow\s+RUNNING/);
    await waitFor(/parent sum \w{8} SUCCESS/);

    keys('q');
    for (let i = 0; i < 100 && alive(); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(alive()).toBe(false);
    if (existsSync('/usr/bin/chromium')) {
      await pngOf(join(ARTIFACTS, 'monitor.html'), png);
    }
  });
});

async function pngOf(htmlPath: string, png: string): Promise<void> {
  const { chromium } = await import('playwright-core');
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
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`file://${htmlPath}`);
    await page.locator('pre').screenshot({ path: png });
  } finally {
    await browser.close();
  }
}
