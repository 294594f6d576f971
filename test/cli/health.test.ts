/**
 * `[runner] health_port`: a real `taskapp run` process answers /healthz and /readyz over HTTP; the
 * first SIGTERM fails readiness while work in flight finishes, then the process stops.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, collect, ensureBuilt, project, spawnCli, waitFor } from './helpers.js';

// `gate` holds its slot until the test creates the file `open`: the drain is observed while it
// is certainly still running, with no timing involved.
const APP_TS = `
import { existsSync } from 'node:fs';
import { taskapp } from 'taskapp';
export const app = taskapp({ appId: 'health' });
export const gate = app.task('gate', async () => {
  while (!existsSync('open')) await new Promise((r) => setTimeout(r, 50));
  return 'passed';
});
`;
const TOML = `app_id = "health"
backend = "sqlite"
[tasks]
modules = ["src/app.ts"]
[sqlite]
path = ".taskapp/health.db"
poll_interval_ms = 10
[runner]
health_port = 0
shutdown_grace_seconds = 300
`;

interface Probe {
  code: number;
  body: { status: string; checks?: { name: string; ok: boolean; detail: string }[] };
}

async function probe(port: number, path: string): Promise<Probe> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { code: res.status, body: (await res.json()) as Probe['body'] };
}

describe('taskapp run with [runner] health_port', () => {
  let p: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    await ensureBuilt();
    p = project({ 'taskapp.toml': TOML, 'src/app.ts': APP_TS });
  });
  afterAll(() => p?.cleanup());

  it('is live and ready while running, not ready once SIGTERM drains it, then stops', async () => {
    const run = (args: string[]) => cli(args, { cwd: p.dir });
    const id = (await run(['call', 'gate'])).stdout.trim();
    const child = spawnCli(['run'], { cwd: p.dir });
    const done = collect(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    try {
      const port = await waitFor(async () => {
        const m = /health probes on http:\/\/[^:]+:(\d+)\//.exec(stderr);
        return m ? Number(m[1]) : undefined;
      }, 'the health probe port in the log');

      expect(await probe(port, '/healthz')).toMatchObject({ code: 200, body: { status: 'ok' } });
      const ready = await waitFor(async () => {
        const r = await probe(port, '/readyz');
        return r.code === 200 ? r : undefined;
      }, '/readyz 200');
      expect(ready.body.checks?.map((c) => [c.name, c.ok])).toEqual([
        ['runner', true],
        ['heartbeat', true],
        ['backend', true],
      ]);
      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);

      await waitFor(async () => {
        const s = JSON.parse((await run(['status', id, '--json'])).stdout) as { status: string };
        return s.status === 'RUNNING' ? true : undefined;
      }, 'gate RUNNING');

      child.kill('SIGTERM');
      const draining = await waitFor(async () => {
        const r = await probe(port, '/readyz');
        return r.code === 503 ? r : undefined;
      }, '/readyz 503 after SIGTERM');
      expect(draining.body.checks?.find((c) => c.name === 'runner')).toMatchObject({
        ok: false,
        detail: 'draining',
      });
      // Still alive: a liveness probe must not kill a draining runner.
      expect((await probe(port, '/healthz')).code).toBe(200);

      writeFileSync(join(p.dir, 'open'), '');
      const result = await done;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('runner stopped');
      // The work in flight finished within the drain, not rerouted.
      expect(JSON.parse((await run(['status', id, '--json'])).stdout)).toMatchObject({
        status: 'SUCCESS',
        result: 'passed',
      });
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
      expect(existsSync(join(p.dir, 'open'))).toBe(true);
    }
  }, 150_000);

  it('refuses a port out of range, naming the field', async () => {
    const bad = project({
      'taskapp.toml': TOML.replace('health_port = 0', 'health_port = 70000'),
      'src/app.ts': APP_TS,
    });
    try {
      const r = await cli(['run', '--once'], { cwd: bad.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('health_port');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      bad.cleanup();
    }
  });
});
