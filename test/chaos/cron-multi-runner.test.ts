/**
 * Exactly once across processes: 3 runner processes on one sqlite file, a cron of every second for
 * ~10 s, one runner killed with SIGKILL midway. Every slot from the first to the last fired one is
 * fired exactly once (counted by slot), and each fired slot runs once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/cron-runner.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tmp = tempDir('taskapp-cron-chaos-');
afterAll(() => tmp.cleanup());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startRunner(db: string, log: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT, env: { ...process.env, TASKAPP_TEST_DB: db, TASKAPP_TEST_LOG: log }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => { if (String(d).includes('ready')) resolve(child); });
    child.once('exit', (code) => reject(new Error(`runner exited (${code}) before ready: ${err}`)));
  });
}

const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

it('3 runners, one killed midway: each cron slot fires exactly once', async () => {
  const db = join(tmp.dir, 'cron.db');
  const log = join(tmp.dir, 'runs.log');
  const first = await startRunner(db, log); // creates the schema before the others race to migrate
  const others = await Promise.all([startRunner(db, log), startRunner(db, log)]);
  const runners = [first, ...others];
  const allReady = Date.now();
  try {
    await sleep(4_500);
    runners[1]!.kill('SIGKILL');
    await exited(runners[1]!);
    await sleep(5_500);
  } finally {
    const stopAt = Date.now();
    for (const r of runners) if (r.exitCode === null && r.signalCode === null) r.kill('SIGTERM');
    await Promise.all(runners.map(exited));
    (globalThis as { stopAt?: number }).stopAt = stopAt;
  }
  const stopAt = (globalThis as { stopAt?: number }).stopAt!;

  const conn = new Database(db, { readonly: true });
  const rows = conn.prepare("SELECT id, args, status FROM invocations WHERE task_id = 'tick'").all() as Array<{ id: string; args: string; status: string }>;
  conn.close();
  const fired = new Map<number, number>();
  for (const r of rows) { const s = (JSON.parse(r.args) as { slot: number }).slot; fired.set(s, (fired.get(s) ?? 0) + 1); }
  const slots = [...fired.keys()].sort((a, b) => a - b);
  const expected: number[] = [];
  for (let s = slots[0]!; s <= slots[slots.length - 1]!; s += 1000) expected.push(s);
  const runs = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1])) : [];
  const runCounts = new Map<number, number>();
  for (const s of runs) runCounts.set(s, (runCounts.get(s) ?? 0) + 1);
  console.log(`multi-runner cron: fired ${rows.length} invocations for ${slots.length} distinct slots; expected ${expected.length} (every second from the first to the last fired slot); ` +
    `executed ${runs.length} times (${runCounts.size} distinct slots); not finished: ${rows.filter((r) => r.status !== 'SUCCESS').length}`);

  expect(slots[0]).toBeLessThanOrEqual(allReady + 1000); // fired from the start, not only later
  expect(slots[slots.length - 1]).toBeGreaterThanOrEqual(stopAt - 2000); // and until the end
  expect(slots).toEqual(expected); // no slot missed, even across the kill
  expect([...fired.values()].every((n) => n === 1)).toBe(true); // no slot fired twice
  expect([...runCounts.values()].every((n) => n === 1)).toBe(true); // no slot ran twice
  expect(runCounts.size).toBeGreaterThanOrEqual(slots.length - 2); // at most the killed runner's in-flight ones did not run
}, 60_000);
