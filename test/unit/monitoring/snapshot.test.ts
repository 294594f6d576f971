import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MonitorData,
  RateTracker,
  formatAge,
  parseStatuses,
  sparkline,
  spansOf,
} from '../../../src/monitoring/snapshot.js';
import { seedMonitorApp, type SeededApp } from '../../helpers/monitor-app.js';
import { tempDir } from '../../helpers/tmp.js';
import { runtimeOf } from '../../../src/runtime/runtime.js';

const tmp = tempDir('taskapp-monitor-');
let s: SeededApp;
let data: MonitorData;
beforeAll(async () => {
  s = await seedMonitorApp(tmp.dir);
  data = new MonitorData(runtimeOf(s.app));
});
afterAll(async () => {
  await s?.app.close();
  tmp.cleanup();
});

describe('MonitorData on a seeded sqlite app', () => {
  it('counts by status and lists the latest invocations', async () => {
    const o = await data.overview();
    expect(o.counts.SUCCESS).toBe(6); // 3 add + sum + its 2 add children
    expect(o.counts.FAILED).toBe(1);
    expect(o.counts.RETRY).toBe(1);
    expect(o.total).toBe(8);
    expect(o.queueDepth).toBe(1); // flaky waits in the broker for its next attempt
    expect(o.latest).toHaveLength(8);
    expect(o.runnersAlive).toBe(0); // the runner stopped and removed itself
  });

  it('pages and filters invocations by task, status and time', async () => {
    const p1 = await data.invocations({ pageSize: 5 });
    const p2 = await data.invocations({ pageSize: 5, page: 2 });
    expect(p1.rows).toHaveLength(5);
    expect(p1.hasNext).toBe(true);
    expect(p2.rows).toHaveLength(3);
    expect(p2.hasNext).toBe(false);
    expect(new Set([...p1.rows, ...p2.rows].map((r) => r.id)).size).toBe(8);
    expect((await data.invocations({ taskId: 'add' })).rows).toHaveLength(5);
    expect(
      (await data.invocations({ statuses: ['FAILED', 'RETRY'] })).rows.map((r) => r.taskId).sort(),
    ).toEqual(['boom', 'flaky']);
    expect((await data.invocations({ to: 0 })).rows).toEqual([]);
    expect((await data.invocations({ from: Date.now() + 60_000 })).rows).toEqual([]);
  });

  it("shows an invocation's decoded args, error, history, family and logs", async () => {
    const boom = await data.detail(s.ids.boom);
    expect(boom.args).toEqual({ why: 'bad input' });
    expect(boom.error).toMatchObject({ name: 'RangeError', message: 'boom: bad input' });
    expect(boom.error!.stack).toContain('RangeError');
    expect(boom.history.map((h) => h.status)).toEqual([
      'REGISTERED',
      'PENDING',
      'RUNNING',
      'FAILED',
    ]);
    const sum = await data.detail(s.ids.sum);
    expect(sum.result).toBe(10);
    expect(sum.children.map((c) => c.taskId)).toEqual(['add', 'add']);
    expect(sum.history.map((h) => h.status)).toContain('PAUSED');
    const child = await data.detail(sum.children[0]!.id);
    expect(child.parent?.id).toBe(s.ids.sum);
    expect(child.logs.map((l) => [l.message, l.fields.x, l.fields.task])).toEqual([
      ['adding', 1, 'add'],
    ]);
    await expect(data.detail('nope')).rejects.toThrow(/no invocation with id nope/);
  });

  it('finished invocations show the runner that ran them, and their workflow', async () => {
    const boom = await data.detail(s.ids.boom);
    expect(boom.owner).toBeNull();
    expect(boom.runner).toBe([...boom.history].reverse().find((h) => h.runnerId)!.runnerId);
    expect(boom.runner).not.toBeNull();
    expect(boom.workflowId).toBe(s.ids.boom);
    const rows = [...(await data.overview()).latest, ...(await data.invocations({})).rows];
    const finished = rows.filter((r) => r.status === 'SUCCESS' || r.status === 'FAILED');
    expect(finished.length).toBeGreaterThan(0);
    expect(finished.every((r) => r.runner !== null)).toBe(true);
  });

  it('builds runner lanes for the timeline, and task options with the next cron fire', async () => {
    const t = await data.timeline(Date.now() - 3600_000, Date.now() + 1000);
    expect(t.lanes).toHaveLength(1);
    const statuses = t.lanes[0]!.spans.map((x) => x.status);
    expect(statuses.filter((x) => x === 'SUCCESS')).toHaveLength(6);
    expect(statuses).toContain('FAILED');
    expect(statuses).toContain('RETRY');
    const tasks = await data.tasks();
    expect(tasks.map((x) => x.id)).toEqual(['add', 'boom', 'flaky', 'report', 'slow', 'sum']);
    const report = tasks.find((x) => x.id === 'report')!;
    expect(report.options.priority).toBe(7);
    expect(report.sources.priority).toBe('code');
    expect(report.nextFire).toBeGreaterThan(Date.now());
    expect(new Date(report.nextFire!).getUTCMinutes() % 5).toBe(0);
  });

  it('throughput buckets what was created and finished in the last hour', async () => {
    const t = await data.throughput();
    expect(t.created).toHaveLength(60);
    expect(t.created.reduce((a, b) => a + b, 0)).toBe(8);
    expect(t.finished.reduce((a, b) => a + b, 0)).toBe(7);
    expect(t.failed.reduce((a, b) => a + b, 0)).toBe(1);
  });
});

describe('helpers', () => {
  it('spans run from RUNNING/RESUMED to the next status, or to now', () => {
    const h = [
      { status: 'REGISTERED' as const, runnerId: null, at: 0 },
      { status: 'PENDING' as const, runnerId: 'r', at: 1 },
      { status: 'RUNNING' as const, runnerId: 'r', at: 2 },
      { status: 'PAUSED' as const, runnerId: 'r', at: 5 },
      { status: 'RESUMED' as const, runnerId: 'r', at: 7 },
    ];
    expect(spansOf({ id: 'i', taskId: 't' }, h, 10).map((x) => [x.start, x.end, x.status])).toEqual(
      [
        [2, 5, 'PAUSED'],
        [7, 10, 'RUNNING'],
      ],
    );
  });
  it('rates, sparklines, ages and status filters', () => {
    const r = new RateTracker(3);
    r.add(0, { SUCCESS: 0 });
    r.add(1000, { SUCCESS: 10, RUNNING: 2 });
    r.add(2000, { SUCCESS: 15, FAILED: 5, RUNNING: 2 });
    r.add(3000, { SUCCESS: 1 }); // purge: no negative rate
    expect(r.finished).toEqual([10, 10, 0]);
    expect(sparkline([0, 1, 2, 4])).toBe('▁▃▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(formatAge(5_400)).toBe('5s');
    expect(formatAge(125_000)).toBe('2m05s');
    expect(formatAge(3 * 3600_000 + 60_000)).toBe('3h01m');
    expect(parseStatuses('failed, retry')).toEqual(['FAILED', 'RETRY']);
    expect(parseStatuses('')).toBeUndefined();
    expect(() => parseStatuses('DONE')).toThrow(/unknown status "DONE"/);
  });
});
