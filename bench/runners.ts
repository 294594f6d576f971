/**
 * Runner measurements on sqlite (not a test): `node --import tsx bench/runners.ts throughput KIND N`
 * (no-op tasks/s and RSS) and `node --import tsx bench/runners.ts kill child|runner` (time from
 * kill -9 to the rerun of the work it held).
 */
import { execSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { app, noop, work } from '../test/chaos/fixtures/app.js';
import { startRunnerProcess } from '../test/chaos/helpers.js';
import { runtimeOf } from '../src/runtime/runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'taskapp-bench-'));
const env = {
  TASKAPP__BACKEND: 'sqlite',
  TASKAPP__SQLITE__PATH: join(dir, 'db.sqlite'),
  TASKAPP__LOGGING_LEVEL: 'error',
};
app.configure({ env: { ...process.env, ...env } });
const [mode, arg, nArg] = process.argv.slice(2);

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(execSync(`ps -o rss= -p ${pid}`).toString().trim());
    } catch {
      /* gone */
    }
  }
  return Math.round(kb / 1024);
}

if (mode === 'throughput') {
  const kind = arg as 'thread';
  const n = Number(nArg ?? 10_000);
  const g = await noop.parallelize(Array.from({ length: n }, (_, i) => ({ i })));
  const r = await startRunnerProcess(kind, 2, env);
  const t0 = Date.now();
  let peak = 0;
  const pids = () => [
    r.proc.pid!,
    ...execSync(`pgrep -P ${r.proc.pid} || true`)
      .toString()
      .split('\n')
      .filter(Boolean)
      .map(Number),
  ];
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pids()));
  }, 500);
  await g.all({ timeoutMs: 3_600_000 });
  const s = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const parentRss = rssMb([r.proc.pid!]);
  console.log(
    JSON.stringify({
      runner: kind,
      n,
      seconds: s,
      tasks_per_s: Math.round(n / s),
      parent_rss_mb: parentRss,
      total_rss_mb_peak: peak,
    }),
  );
  r.proc.kill('SIGTERM');
  await r.exited;
} else if (mode === 'kill') {
  const g = await work.parallelize(Array.from({ length: 2 }, (_, i) => ({ i, ms: 2000 })));
  const victim = await startRunnerProcess('persistent-process', 2, env);
  const { state } = await runtimeOf(app).backends();
  while (((await state.countByStatus()).RUNNING ?? 0) < 2) {
    await new Promise((r) => setTimeout(r, 20));
  }
  let backup;
  if (arg === 'runner') {
    backup = await startRunnerProcess('persistent-process', 2, env);
  }
  await new Promise((r) => setTimeout(r, 300));
  const running = (await state.list({ statuses: ['RUNNING'] })).map((x) => x.id);
  const killedAt = Date.now();
  if (arg === 'child') {
    process.kill(victim.children()[0]!, 'SIGKILL');
  } else {
    victim.proc.kill('SIGKILL');
  }
  const rerun: number[] = [];
  for (const id of running) {
    for (;;) {
      const h = await state.history(id);
      const i = h.findIndex((e) => e.status === 'RUNNING_RECOVERY');
      const again = i >= 0 ? h.slice(i).find((e) => e.status === 'RUNNING') : undefined;
      if (again) {
        rerun.push(again.at - killedAt);
        break;
      }
      if ((await state.get(id))!.status === 'SUCCESS') {
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  console.log(JSON.stringify({ killed: arg, recovered: rerun.length, kill_to_rerun_ms: rerun }));
  for (const p of [victim, backup]) {
    p?.proc.kill('SIGKILL');
  }
  void g;
}
await app.close();
process.exit(0);
