/**
 * Exactly once across processes, for any shared backend: 3 runner processes, a cron of every second
 * for ~10 s, one runner killed with SIGKILL midway. Every slot from the first to the last fired one
 * is fired exactly once (counted by slot), and each fired slot runs once. A backend's test file is
 * one call: `cronExactlyOnce('redis', () => ({ backend: 'redis', redis: { prefix } }))`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { openBackends } from '../compliance/harness.js';
import { tempDir } from '../helpers/tmp.js';
import { nodeEntry } from '../helpers/build.js';

const FIXTURE = nodeEntry(new URL('./fixtures/cron-runner.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (c: ChildProcess) =>
  new Promise<void>((r) =>
    c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()),
  );

function startRunner(backend: Record<string, unknown>, log: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, FIXTURE, {
    cwd: ROOT,
    env: { ...process.env, TASKAPP_TEST_BACKEND: JSON.stringify(backend), TASKAPP_TEST_LOG: log },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) {
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`runner exited (${code}) before ready: ${err}`)));
  });
}

/** `backend(dir)`: taskapp() options for fresh, isolated storage shared by the 3 processes. */
export function cronExactlyOnce(
  name: string,
  backend: (dir: string) => Record<string, unknown>,
  cleanup?: (cfg: Record<string, unknown>) => Promise<void>,
): void {
  const tmp = tempDir(`taskapp-cron-${name}-`);
  afterAll(() => tmp.cleanup());

  it(`${name}: 3 runners, one killed midway: each cron slot fires exactly once`, async () => {
    const cfg = backend(tmp.dir);
    const log = join(tmp.dir, 'runs.log');
    const first = await startRunner(cfg, log); // creates the schema before the others race to migrate
    const runners = [first, ...(await Promise.all([startRunner(cfg, log), startRunner(cfg, log)]))];
    const allReady = Date.now();
    let stopAt = 0;
    try {
      await sleep(4_500);
      runners[1]!.kill('SIGKILL');
      await exited(runners[1]!);
      await sleep(5_500);
    } finally {
      stopAt = Date.now();
      for (const r of runners) {
        if (r.exitCode === null && r.signalCode === null) {
          r.kill('SIGTERM');
        }
      }
      await Promise.all(runners.map(exited));
    }

    const b = await openBackends({ appId: 'cron-chaos', ...cfg });
    const rows = await b.state.list({ taskId: 'tick', limit: 10_000 });
    await b.close();
    await cleanup?.(cfg);
    const fired = new Map<number, number>();
    for (const r of rows) {
      const s = (JSON.parse(r.args) as { slot: number }).slot;
      fired.set(s, (fired.get(s) ?? 0) + 1);
    }
    const slots = [...fired.keys()].sort((x, y) => x - y);
    const expected: number[] = [];
    for (let s = slots[0]!; s <= slots[slots.length - 1]!; s += 1000) {
      expected.push(s);
    }
    const runs = existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => Number(l.split(' ')[1]))
      : [];
    const runCounts = new Map<number, number>();
    for (const s of runs) {
      runCounts.set(s, (runCounts.get(s) ?? 0) + 1);
    }
    console.log(
      `${name} multi-runner cron: fired ${rows.length} invocations for ${slots.length} distinct slots; expected ${expected.length} ` +
        `(every second from the first to the last fired slot); executed ${runs.length} times (${runCounts.size} distinct slots); ` +
        `not finished: ${rows.filter((r) => r.status !== 'SUCCESS').length}`,
    );

    expect(slots[0]).toBeLessThanOrEqual(allReady + 1000); // fired from the start, not only later
    expect(slots[slots.length - 1]).toBeGreaterThanOrEqual(stopAt - 2000); // and until the end
    expect(slots).toEqual(expected); // no slot missed, even across the kill
    expect([...fired.values()].every((n) => n === 1)).toBe(true); // no slot fired twice
    expect([...runCounts.values()].every((n) => n === 1)).toBe(true); // no slot ran twice
    expect(runCounts.size).toBeGreaterThanOrEqual(slots.length - 2); // only the killed runner's in-flight ones may not have run
  }, 60_000);
}
