/**
 * The data model shared by the terminal view and the web dashboard. Reads only through the backend
 * interfaces (StateBackend, Broker) and the app's task registry, so it works on every backend.
 */
import { outboxLag } from '../runtime/outbox.js';
import { loadWorkflow, type WorkflowView } from '../workflows/view.js';
import { workflowIdOf } from '../workflows/identity.js';
import { CronExpressionParser } from 'cron-parser';
import type { Runtime } from '../runtime/runtime.js';
import {
  runnerOf,
  type HistoryEntry,
  type InvocationFilter,
  type InvocationRecord,
  type LogRecord,
  type Progress,
  type RunnerInfo,
} from '../core/records.js';
import { FINAL_STATUSES, STATUSES, isStatus, type Status } from '../core/status.js';
import { InvocationNotFoundError, TaskappError } from '../core/errors.js';

/** One invocation as a row in a list. */
export interface InvocationRow {
  id: string;
  taskId: string;
  status: Status;
  owner: string | null;
  /** The owner, or once it is released the last runner in its history (see runnerOf). */
  runner: string | null;
  attempt: number;
  parentId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface RunnerView extends RunnerInfo {
  heartbeatAgeMs: number;
  alive: boolean;
  /** What it holds now (PENDING, RUNNING, PAUSED, RESUMED). */
  owns: InvocationRow[];
}

export interface Throughput {
  from: number;
  bucketMs: number;
  /** Invocations created per bucket. */
  created: number[];
  /** Of those, finished (SUCCESS/FAILED/CC_FINAL) per bucket of their last change. */
  finished: number[];
  failed: number[];
}

export interface Overview {
  at: number;
  counts: Record<Status, number>;
  total: number;
  queueDepth: number;
  runnersAlive: number;
  runners: RunnerView[];
  latest: InvocationRow[];
  /** Calls waiting in the outbox and the age of the oldest: only with [outbox] url; null: unreachable. */
  outbox?: { pending: number; lagSeconds: number } | null;
}

interface ErrorView {
  name: string;
  message: string;
  stack?: string;
  fields?: Record<string, unknown>;
}

export interface InvocationDetail extends InvocationRow {
  priority: number;
  workflowId: string | null;
  /** Decoded argument object (or the raw text when it cannot be decoded here). */
  args: unknown;
  result: unknown;
  hasResult: boolean;
  error: ErrorView | null;
  history: HistoryEntry[];
  parent: InvocationRow | null;
  children: InvocationRow[];
  logs: LogRecord[];
  /** The workflow the invocation belongs to, with its steps and data. */
  workflow: WorkflowView | null;
  /** What the task last reported with ctx.progress. */
  progress: Progress | null;
  /** The invocation this one reruns. */
  rerunOf: string | null;
}

export interface InvocationQuery {
  taskId?: string;
  statuses?: Status[];
  from?: number;
  to?: number;
  page?: number;
  pageSize?: number;
}

export interface InvocationPage {
  rows: InvocationRow[];
  page: number;
  pageSize: number;
  hasNext: boolean;
}

/** One stretch of work on one runner: RUNNING (or RESUMED) until the next status. */
interface TimelineSpan {
  invocationId: string;
  taskId: string;
  runnerId: string;
  start: number;
  end: number;
  /** The status that ended the span (SUCCESS, FAILED, RETRY, PAUSED, ...) or RUNNING if still running. */
  status: Status;
}

export interface Timeline {
  from: number;
  to: number;
  lanes: Array<{ runnerId: string; spans: TimelineSpan[] }>;
  /** Invocations created in the window that have not started yet. */
  waiting: number;
  /** True when the window held more invocations than were read. */
  truncated: boolean;
}

export interface TaskView {
  id: string;
  options: Record<string, unknown>;
  sources: Record<string, string>;
  nextFire: number | null;
  /** Paused (taskapp task pause): how many invocations wait parked; absent when not paused. */
  paused?: { parked: number };
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
const TIMELINE_LIMIT = 2000;
const THROUGHPUT_LIMIT = 20_000;

function toRow(r: InvocationRecord, history: readonly HistoryEntry[] = []): InvocationRow {
  return {
    id: r.id,
    taskId: r.taskId,
    status: r.status,
    owner: r.owner,
    runner: runnerOf(r, history),
    attempt: r.attempt,
    parentId: r.parentId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function emptyCounts(): Record<Status, number> {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
}

/** Parses a comma-separated status list as typed in a filter box; unknown names are a usage error. */
export function parseStatuses(text: string | undefined): Status[] | undefined {
  if (!text) {
    return undefined;
  }
  const list = text
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  for (const s of list) {
    if (!isStatus(s)) {
      throw new TaskappError('BAD_FILTER', `unknown status "${s}"`, {
        fix: `use one of ${STATUSES.join(', ')}`,
        exitCode: 2,
      });
    }
  }
  return list.length ? (list as Status[]) : undefined;
}

export class MonitorData {
  constructor(
    readonly app: Runtime,
    private readonly clock: () => number = Date.now,
  ) {}

  private backends() {
    return this.app.backends();
  }

  /** A runner is alive while its last heartbeat is younger than `runner_dead_after_seconds`. */
  private get deadAfterMs(): number {
    return this.app.config.runner.runner_dead_after_seconds * 1000;
  }

  async counts(): Promise<Record<Status, number>> {
    const raw = await (await this.backends()).state.countByStatus();
    const out = emptyCounts();
    for (const [s, n] of Object.entries(raw)) {
      if (isStatus(s)) {
        out[s] = n;
      }
    }
    return out;
  }

  /** Rows with their runner, which a finished invocation only has in its history. */
  private async rowsOf(recs: InvocationRecord[]): Promise<InvocationRow[]> {
    const released = recs.filter((r) => !r.owner).map((r) => r.id);
    const histories = released.length
      ? await (await this.backends()).state.historyMany(released)
      : {};
    return recs.map((r) => toRow(r, histories[r.id]));
  }

  async runners(): Promise<RunnerView[]> {
    const { state } = await this.backends();
    const now = this.clock();
    const list = await state.runners();
    return Promise.all(
      list.map(async (r) => {
        const owns = await state.list({ owner: r.id, limit: 100 });
        const age = Math.max(0, now - r.heartbeatAt);
        return {
          ...r,
          heartbeatAgeMs: age,
          alive: age < this.deadAfterMs,
          owns: owns.map((o) => toRow(o)),
        };
      }),
    );
  }

  async overview(latest = 20): Promise<Overview> {
    const { state, broker } = await this.backends();
    const [counts, runners, queueDepth, recent, outbox] = await Promise.all([
      this.counts(),
      this.runners(),
      broker.count(),
      state.list({ limit: latest }),
      outboxLag(this.app).catch(() => null),
    ]);
    return {
      at: this.clock(),
      counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      queueDepth,
      runnersAlive: runners.filter((r) => r.alive).length,
      runners,
      latest: await this.rowsOf(recent),
      ...(this.app.config.outbox.url
        ? { outbox: outbox && { pending: outbox.pending, lagSeconds: outbox.lagSeconds } }
        : {}),
    };
  }

  /** Invocations created in the last `windowMs`, bucketed by minute (or `bucketMs`). */
  async throughput(windowMs = 3600_000, bucketMs = 60_000): Promise<Throughput> {
    const now = this.clock();
    const from = now - windowMs;
    const n = Math.ceil(windowMs / bucketMs);
    const t: Throughput = {
      from,
      bucketMs,
      created: new Array(n).fill(0),
      finished: new Array(n).fill(0),
      failed: new Array(n).fill(0),
    };
    const recs = await (
      await this.backends()
    ).state.list({ createdAfter: from, limit: THROUGHPUT_LIMIT });
    const at = (ms: number) => Math.min(n - 1, Math.max(0, Math.floor((ms - from) / bucketMs)));
    for (const r of recs) {
      t.created[at(r.createdAt)]! += 1;
      if (FINAL_STATUSES.has(r.status)) {
        t.finished[at(r.updatedAt)]! += 1;
      }
      if (r.status === 'FAILED') {
        t.failed[at(r.updatedAt)]! += 1;
      }
    }
    return t;
  }

  async invocations(q: InvocationQuery = {}): Promise<InvocationPage> {
    const pageSize = Math.min(
      MAX_PAGE_SIZE,
      Math.max(1, Math.floor(q.pageSize ?? DEFAULT_PAGE_SIZE)),
    );
    const page = Math.max(1, Math.floor(q.page ?? 1));
    const filter: InvocationFilter = { limit: pageSize + 1, offset: (page - 1) * pageSize };
    if (q.taskId) {
      filter.taskId = q.taskId;
    }
    if (q.statuses?.length) {
      filter.statuses = q.statuses;
    }
    if (q.from !== undefined) {
      filter.createdAfter = q.from;
    }
    if (q.to !== undefined) {
      filter.createdBefore = q.to;
    }
    const recs = await (await this.backends()).state.list(filter);
    return {
      rows: await this.rowsOf(recs.slice(0, pageSize)),
      page,
      pageSize,
      hasNext: recs.length > pageSize,
    };
  }

  async detail(id: string): Promise<InvocationDetail> {
    const { state } = await this.backends();
    const rec = await state.get(id);
    if (!rec) {
      throw new InvocationNotFoundError(id);
    }
    const [history, parent, children, logs, workflow, extras] = await Promise.all([
      state.history(id),
      rec.parentId ? state.get(rec.parentId) : Promise.resolve(null),
      state.list({ parentId: id, limit: 500 }),
      state.logs(id),
      loadWorkflow(this.app, workflowIdOf(rec)),
      state.extras([id]),
    ]);
    return {
      ...toRow(rec, history),
      priority: rec.priority,
      workflowId: workflowIdOf(rec),
      args: this.decode(rec.args),
      hasResult: rec.result !== null,
      result: rec.result === null ? null : this.decode(rec.result),
      error: rec.error === null ? null : this.decodeError(rec.error),
      history,
      parent: parent ? toRow(parent) : null,
      children: (await this.rowsOf(children)).reverse(),
      logs,
      workflow,
      progress: extras[id]?.progress ?? null,
      rerunOf: extras[id]?.rerunOf ?? null,
    };
  }

  /**
   * Work per runner lane between `from` and `to` (invocations created in that window). `fit`
   * narrows the returned window to the work found (with a small margin), so a burst is readable.
   */
  async timeline(from: number, to: number, opts: { fit?: boolean } = {}): Promise<Timeline> {
    const { state } = await this.backends();
    const recs = await state.list({ createdAfter: from, createdBefore: to, limit: TIMELINE_LIMIT });
    const histories = await state.historyMany(recs.map((r) => r.id));
    const now = this.clock();
    const lanes = new Map<string, TimelineSpan[]>();
    let waiting = 0;
    for (const r of recs) {
      const spans = spansOf(r, histories[r.id] ?? [], now);
      if (!spans.length) {
        waiting++;
      }
      for (const s of spans) {
        let lane = lanes.get(s.runnerId);
        if (!lane) {
          lanes.set(s.runnerId, (lane = []));
        }
        lane.push(s);
      }
    }
    const all = [...lanes.values()].flat();
    if (opts.fit && all.length) {
      const lo = Math.min(...all.map((x) => x.start)),
        hi = Math.max(...all.map((x) => x.end));
      const pad = Math.max(50, (hi - lo) * 0.05);
      from = Math.max(from, lo - pad);
      to = Math.min(to, hi + pad);
    }
    return {
      from,
      to,
      waiting,
      truncated: recs.length >= TIMELINE_LIMIT,
      lanes: [...lanes.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([runnerId, spans]) => ({ runnerId, spans: spans.sort((a, b) => a.start - b.start) })),
    };
  }

  /** The app's registered tasks with their effective options (code < config < env), paused ones marked. */
  async tasks(): Promise<TaskView[]> {
    const paused = (await (await this.backends()).pauses?.parkedCounts()) ?? {};
    return this.app
      .taskIds()
      .sort()
      .map((id) => {
        const { sources, ...options } = this.app.getTask(id)!.options;
        return {
          id,
          options,
          sources,
          nextFire: nextFire(options.cron, options.timezone, this.clock()),
          ...(id in paused ? { paused: { parked: paused[id]! } } : {}),
        };
      });
  }

  private decode(text: string): unknown {
    try {
      return this.app.serializer.deserialize(text);
    } catch {
      return text;
    }
  }

  private decodeError(text: string): ErrorView {
    const v = this.decode(text);
    if (v && typeof v === 'object' && 'message' in v) {
      return v as ErrorView;
    }
    return { name: 'Error', message: String(text) };
  }
}

/** RUNNING/RESUMED stretches from a history: each lasts until the next entry (or `now`). */
export function spansOf(
  r: Pick<InvocationRecord, 'id' | 'taskId'>,
  history: HistoryEntry[],
  now: number,
): TimelineSpan[] {
  const out: TimelineSpan[] = [];
  history.forEach((h, i) => {
    if ((h.status !== 'RUNNING' && h.status !== 'RESUMED') || !h.runnerId) {
      return;
    }
    const next = history[i + 1];
    out.push({
      invocationId: r.id,
      taskId: r.taskId,
      runnerId: h.runnerId,
      start: h.at,
      end: next ? next.at : now,
      status: next ? next.status : 'RUNNING',
    });
  });
  return out;
}

function nextFire(cron: string | undefined, tz: string | undefined, now: number): number | null {
  if (!cron) {
    return null;
  }
  try {
    return CronExpressionParser.parse(cron, { currentDate: new Date(now), ...(tz ? { tz } : {}) })
      .next()
      .getTime();
  } catch {
    return null;
  }
}

/** Per-second rate of finished invocations between successive count samples (the TUI sparkline). */
export class RateTracker {
  private last?: { at: number; done: number; created: number };
  readonly finished: number[] = [];
  readonly created: number[] = [];

  constructor(private readonly keep = 30) {}

  add(at: number, counts: Record<string, number>): void {
    const done = [...FINAL_STATUSES].reduce((a, s) => a + (counts[s] ?? 0), 0);
    const created = Object.values(counts).reduce((a, b) => a + b, 0);
    if (this.last && at > this.last.at) {
      const secs = (at - this.last.at) / 1000;
      // Purges make totals drop: count that as no progress rather than a negative rate.
      this.push(this.finished, Math.max(0, done - this.last.done) / secs);
      this.push(this.created, Math.max(0, created - this.last.created) / secs);
    }
    this.last = { at, done, created };
  }

  private push(list: number[], v: number): void {
    list.push(v);
    if (list.length > this.keep) {
      list.shift();
    }
  }
}

const BARS = '▁▂▃▄▅▆▇█';
/** A one-line chart: one block character per value, scaled to the largest. */
export function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) =>
      max === 0
        ? BARS[0]
        : BARS[Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)))],
    )
    .join('');
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  }
  return `${Math.floor(s / 86400)}d`;
}
