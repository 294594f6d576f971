/** `taskapp monitor` and `taskapp web` as processes: plain snapshot when piped; the server answers and stops on SIGTERM. */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMonitorApp } from '../helpers/monitor-app.js';
import { tempDir } from '../helpers/tmp.js';
import { ensureBuilt } from './helpers.js';

const tmp = tempDir('taskapp-monitor-cmd-');
// The built binary, as users run it (npm test builds first; ensureBuilt rebuilds a stale dist).
const CLI = ['bin/run.js'];
let toml: string;
beforeAll(async () => {
  await ensureBuilt();
  const s = await seedMonitorApp(tmp.dir);
  await s.app.close();
  toml = join(tmp.dir, 'taskapp.toml');
  writeFileSync(toml, 'app_id = "shop"\nbackend = "sqlite"\n[sqlite]\npath = "monitor.db"\n');
});
afterAll(() => tmp.cleanup());

describe('taskapp monitor, not a terminal', () => {
  it('prints one plain snapshot and exits 0', () => {
    const r = spawnSync('node', [...CLI, 'monitor', '--config', toml, '--filter', 'FAILED'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('taskapp monitor · app shop · sqlite');
    expect(r.stdout).toMatch(/SUCCESS\s+6/);
    expect(r.stdout).toMatch(/boom\s+FAILED/);
    expect(r.stdout).not.toMatch(/\badd\s+SUCCESS/); // filtered to FAILED
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });
});

describe('taskapp web', () => {
  it('listens on 127.0.0.1, serves the API and stops on SIGTERM', async () => {
    const child = spawn('node', [...CLI, 'web', '--config', toml, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    try {
      let url: string | undefined;
      for (let i = 0; i < 300 && !url; i++) {
        url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(url, out).toBeDefined();
      expect(out).toContain('read-only');
      const o = await (await fetch(`${url}/api/overview`)).json();
      expect(o.counts.FAILED).toBe(1);
      const refused = await fetch(`${url}/api/purge`, { method: 'POST' });
      expect(refused.status).toBe(403);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
    }
  });
});
