/**
 * Workflows survive kill -9 of the runner process (sqlite, real processes): finished steps are not
 * re-run, recorded random/uuid/now values come back unchanged, and an event wait resumes on the
 * runner started afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { app, threeSteps, waiter } from './fixtures/workflow-app.js';
import { chaosEnv, until } from './helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { nodeEntry } from '../helpers/build.js';

const STARTER = nodeEntry(new URL('./fixtures/workflow-runner.ts', import.meta.url));

function startRunner(env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, STARTER, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready ')) {
        resolve(proc);
      }
    });
    proc.once('exit', (code) => reject(new Error(`runner exited before ready (${code})`)));
  });
}

const lines = (out: string) =>
  existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [];

describe('chaos: workflows across kill -9 of the runner (sqlite)', () => {
  const procs: ChildProcess[] = [];
  let cleanup = () => {};
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.exitCode === null) {
        p.kill('SIGKILL');
      }
    }
    await app.close();
    cleanup();
  });

  function setup() {
    const t = tempDir('taskapp-wf-chaos-');
    cleanup = t.cleanup;
    const env = chaosEnv(
      { TASKAPP__BACKEND: 'sqlite', TASKAPP__SQLITE__PATH: join(t.dir, 'db.sqlite') },
      join(t.dir, 'out.txt'),
      {
        TASKAPP__RUNNER__RUNNER_DEAD_AFTER_SECONDS: '1',
        TASKAPP__RUNNER__HEARTBEAT_INTERVAL_SECONDS: '0.2',
      },
    );
    app.configure({ env: { ...process.env, ...env } });
    return { env, out: env.CHAOS_OUT! };
  }

  it('kill -9 during step 2 of 3: step 1 ran once, values replayed, result complete', async () => {
    const { env, out } = setup();
    const inv = await threeSteps.call({ slowMs: 1500 });
    const first = await startRunner(env);
    procs.push(first);
    await until(() => lines(out).includes('step 2'));
    first.kill('SIGKILL');
    procs.push(await startRunner(env));
    const res = await inv.result({ timeoutMs: 60_000 });
    const all = lines(out);
    const values = all.filter((l) => l.startsWith('values '));
    expect(values.length).toBe(2);
    expect(new Set(values).size).toBe(1);
    expect(res.steps).toEqual([10, 20, 30]);
    expect(values[0]).toBe(`values ${res.r} ${res.u} ${res.n}`);
    expect(all.filter((l) => l === 'step 1')).toHaveLength(1);
    expect(all.filter((l) => l === 'step 3')).toHaveLength(1);
    expect(all.filter((l) => l === 'step 2').length).toBeGreaterThanOrEqual(1);
    const hist = (await inv.history()).map((h) => h.status);
    expect(hist).toContain('RUNNING_RECOVERY');
  }, 90_000);

  it('a workflow waiting on an event survives a runner restart and resumes when it is emitted', async () => {
    const { env, out } = setup();
    const inv = await waiter.call({ order: 5 });
    const first = await startRunner(env);
    procs.push(first);
    await until(async () => (await inv.status()) === 'PAUSED');
    first.kill('SIGKILL');
    procs.push(await startRunner(env));
    // Recovered and waiting again on the new runner before the event comes.
    await until(
      async () =>
        lines(out).filter((l) => l === 'waiter started').length === 2 &&
        (await inv.status()) === 'PAUSED',
    );
    await app.emit('order.paid', { order: 4, paid: true });
    await app.emit('order.paid', { order: 5, paid: true });
    expect(await inv.result({ timeoutMs: 30_000 })).toEqual({ order: 5, paid: true });
    expect(lines(out).filter((l) => l === 'waiter resumed')).toHaveLength(1);
  }, 90_000);
});
