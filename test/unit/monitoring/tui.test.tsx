/** The terminal view's components and keys, frame by frame (ink-testing-library), on fake data. */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import {
  emptyCounts,
  type InvocationDetail,
  type InvocationRow,
  type RunnerView,
} from '../../../src/monitoring/snapshot.js';
import { Counts, Detail, InvocationList, Runners } from '../../../src/monitoring/tui/components.js';
import { MonitorApp } from '../../../src/monitoring/tui/monitor-app.js';
import { plainSnapshot } from '../../../src/monitoring/tui/plain.js';
import {
  parseFilter,
  type TuiSnapshot,
  type TuiSource,
} from '../../../src/monitoring/tui/source.js';

const NOW = 1_700_000_000_000;
const row = (
  id: string,
  taskId: string,
  status: InvocationRow['status'],
  ageS: number,
  owner: string | null = null,
): InvocationRow => ({
  id,
  taskId,
  status,
  owner,
  runner: owner,
  attempt: 1,
  parentId: null,
  createdAt: NOW - ageS * 1000,
  updatedAt: NOW - ageS * 1000,
});
const ROWS = [
  row('aaaa1111-x', 'add', 'RUNNING', 2, 'thread@h:1'),
  row('bbbb2222-x', 'boom', 'FAILED', 30),
  row('cccc3333-x', 'flaky', 'RETRY', 90),
];
const RUNNER: RunnerView = {
  id: 'thread@h:1',
  kind: 'thread',
  hostname: 'h',
  pid: 1,
  startedAt: NOW - 60_000,
  heartbeatAt: NOW - 500,
  heartbeatAgeMs: 500,
  alive: true,
  owns: [ROWS[0]!],
};

function snapshot(rows = ROWS): TuiSnapshot {
  const counts = { ...emptyCounts(), RUNNING: 1, FAILED: 1, RETRY: 1, SUCCESS: 12 };
  return {
    overview: {
      at: NOW,
      counts,
      total: 15,
      queueDepth: 1,
      runnersAlive: 1,
      runners: [RUNNER],
      latest: [],
    },
    rows,
    finishedRates: [0, 2, 4, 8],
    backend: 'sqlite',
  };
}
function detailOf(r: InvocationRow): InvocationDetail {
  return {
    ...r,
    priority: 5,
    workflowId: null,
    args: { n: r.id.slice(0, 4) },
    hasResult: false,
    result: null,
    error:
      r.status === 'FAILED'
        ? {
            name: 'RangeError',
            message: 'boom: bad input',
            stack: 'RangeError: boom: bad input\n    at boom (tasks.ts:3:9)',
          }
        : null,
    history: [
      { status: 'REGISTERED', runnerId: null, at: r.createdAt },
      { status: 'PENDING', runnerId: 'thread@h:1', at: r.createdAt + 5 },
      { status: r.status, runnerId: 'thread@h:1', at: r.createdAt + 12 },
    ],
    parent: null,
    children: [],
    workflow: null,
    progress: null,
    rerunOf: null,
    logs: [
      {
        invocationId: r.id,
        at: r.createdAt + 6,
        level: 'info',
        message: 'working on it',
        fields: {},
      },
    ],
  };
}
function fakeSource(): TuiSource & { filters: string[] } {
  const filters: string[] = [];
  return {
    filters,
    async snapshot(filter) {
      filters.push(filter);
      const f = parseFilter(filter);
      return snapshot(
        ROWS.filter(
          (r) =>
            (!f.taskId || r.taskId === f.taskId) && (!f.statuses || f.statuses.includes(r.status)),
        ),
      );
    },
    async detail(id) {
      return detailOf(ROWS.find((r) => r.id === id)!);
    },
  };
}

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
async function frameWith(get: () => string | undefined, text: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const f = get() ?? '';
    if (f.includes(text)) {
      return f;
    }
    await tick(10);
  }
  throw new Error(`no frame with "${text}"; last frame:\n${get()}`);
}

let cleanup: Array<() => void> = [];
afterEach(() => {
  cleanup.forEach((c) => c());
  cleanup = [];
});
const mount = (node: Parameters<typeof render>[0]) => {
  const r = render(node);
  cleanup.push(r.unmount);
  return r;
};

describe('panels', () => {
  it('Counts shows non-zero statuses, queue depth and a rate sparkline', () => {
    const f = mount(
      <Counts counts={snapshot().overview.counts} rates={[0, 2, 4, 8]} queueDepth={3} />,
    ).lastFrame()!;
    expect(f).toMatch(/SUCCESS\s+12/);
    expect(f).toMatch(/FAILED\s+1/);
    expect(f).not.toContain('PAUSED');
    expect(f).toMatch(/queued in broker\s+3/);
    expect(f).toContain('▁▃▅█ 8.0');
  });

  it('Runners shows liveness, heartbeat age and what each runs', () => {
    const f = mount(
      <Runners
        runners={[
          RUNNER,
          { ...RUNNER, id: 'thread@h:2', alive: false, heartbeatAgeMs: 90_000, owns: [] },
        ]}
      />,
    ).lastFrame()!;
    expect(f).toContain('Runners (1 alive)');
    expect(f).toContain('● thread@h:1 thread hb 0s');
    expect(f).toContain('add RUNNING');
    expect(f).toContain('○ thread@h:2 thread hb 1m30s');
    expect(f).toContain('idle');
  });

  it('InvocationList marks the selected row and shows task, status, age, runner', () => {
    const f = mount(
      <InvocationList rows={ROWS} selected={1} now={NOW} filter="" height={10} />,
    ).lastFrame()!;
    const lines = f.split('\n');
    expect(lines.find((l) => l.includes('aaaa1111'))).toMatch(
      / {2}aaaa1111\s+add\s+RUNNING\s+2s\s+thread@h:1/,
    );
    expect(lines.find((l) => l.includes('bbbb2222'))).toMatch(/> bbbb2222\s+boom\s+FAILED\s+30s/);
    expect(lines.find((l) => l.includes('cccc3333'))).toMatch(/flaky\s+RETRY\s+1m30s/);
  });

  it('Detail shows args, the error and the history', () => {
    const f = mount(<Detail d={detailOf(ROWS[1]!)} expanded={true} />).lastFrame()!;
    expect(f).toContain('boom FAILED bbbb2222-x attempt 1');
    expect(f).toContain('args   {"n":"bbbb"}');
    expect(f).toContain('error  RangeError: boom: bad input');
    expect(f).toContain('at boom (tasks.ts:3:9)');
    expect(f).toMatch(/PENDING\s+\+\s+5 ms\s+thread@h:1/);
    expect(f).toContain('working on it');
  });

  it('Detail shows progress and the invocation it reruns', () => {
    const d = {
      ...detailOf(ROWS[0]!),
      progress: { value: 0.42, message: 'resizing 42/100', at: NOW },
      rerunOf: 'old-id',
    };
    const f = mount(<Detail d={d} expanded={false} />).lastFrame()!;
    expect(f).toContain('progress [########............] 42% resizing 42/100');
    expect(f).toContain('rerun of old-id');
  });
});

describe('MonitorApp keys', () => {
  it('moves with arrows, opens detail with enter, filters with /, quits with q', async () => {
    const src = fakeSource();
    const app = mount(<MonitorApp source={src} appId="shop" refreshMs={50} />);
    let f = await frameWith(app.lastFrame, 'aaaa1111');
    expect(f).toContain('taskapp monitor · app shop · sqlite');
    expect(f).toMatch(/> aaaa1111/);
    await frameWith(app.lastFrame, 'args   {"n":"aaaa"}');

    app.stdin.write('\u001B[B'); // down
    f = await frameWith(app.lastFrame, '> bbbb2222');
    f = await frameWith(app.lastFrame, 'error  RangeError');

    app.stdin.write('\r'); // enter: expanded detail replaces the list
    f = await frameWith(app.lastFrame, 'at boom (tasks.ts:3:9)');
    expect(f).not.toContain('Latest invocations');
    app.stdin.write('\u001B'); // esc: back
    await frameWith(app.lastFrame, 'Latest invocations');

    app.stdin.write('/');
    await frameWith(app.lastFrame, 'filter (task or STATUS[,STATUS]):');
    for (const ch of 'retry') {
      app.stdin.write(ch);
    }
    await frameWith(app.lastFrame, 'filter (task or STATUS[,STATUS]): retry');
    app.stdin.write('\r');
    f = await frameWith(app.lastFrame, '(filter: retry)');
    f = await frameWith(app.lastFrame, 'flaky RETRY cccc3333-x');
    expect(f).toContain('> cccc3333');
    expect(f).not.toContain('aaaa1111');
    expect(src.filters).toContain('retry');

    app.stdin.write('/');
    await tick();
    for (let i = 0; i < 5; i++) {
      app.stdin.write('\u007F');
    } // backspace
    for (const ch of 'boom') {
      app.stdin.write(ch);
    }
    app.stdin.write('\r');
    f = await frameWith(app.lastFrame, '(filter: boom)');
    await frameWith(app.lastFrame, '> bbbb2222');

    app.stdin.write('q');
    await tick(50);
    const calls = src.filters.length;
    await tick(150);
    expect(src.filters.length).toBe(calls); // stopped refreshing after q
  });
});

describe('plain snapshot (not a TTY)', () => {
  it('prints counts, runners and latest invocations as plain text', () => {
    const text = plainSnapshot(snapshot(), 'shop');
    expect(text).not.toMatch(/\u001b\[/);
    expect(text).toMatch(/SUCCESS\s+12/);
    expect(text).toContain('alive  thread@h:1 thread heartbeat 0s ago, runs add:RUNNING');
    expect(text).toMatch(/bbbb2222-x {2}boom\s+FAILED\s+30s/);
  });
  it('parses filters as statuses or a task id', () => {
    expect(parseFilter('failed,RETRY')).toEqual({ statuses: ['FAILED', 'RETRY'] });
    expect(parseFilter(' add ')).toEqual({ taskId: 'add' });
    expect(parseFilter('')).toEqual({});
  });
});
