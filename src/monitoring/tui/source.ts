/** What the terminal view reads each refresh: the overview, a filtered list, rates; and a detail on demand. */
import { isStatus, type Status } from '../../core/status.js';
import {
  type MonitorData,
  RateTracker,
  type InvocationDetail,
  type InvocationRow,
  type Overview,
} from '../snapshot.js';

export interface TuiSnapshot {
  overview: Overview;
  /** Latest invocations matching the filter. */
  rows: InvocationRow[];
  /** Finished per second over the last refreshes (oldest first). */
  finishedRates: number[];
  backend: string;
}

export interface TuiSource {
  snapshot(filter: string): Promise<TuiSnapshot>;
  detail(id: string): Promise<InvocationDetail>;
}

/** A filter box's text: a comma list of statuses, or else a task id. */
export function parseFilter(text: string): { statuses?: Status[]; taskId?: string } {
  const t = text.trim();
  if (!t) {
    return {};
  }
  const parts = t
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  if (parts.length && parts.every(isStatus)) {
    return { statuses: parts as Status[] };
  }
  return { taskId: t };
}

export function monitorSource(data: MonitorData, rows = 50): TuiSource {
  const rates = new RateTracker(40);
  return {
    async snapshot(filter) {
      const f = parseFilter(filter);
      const [overview, page, b] = await Promise.all([
        data.overview(0),
        data.invocations({ ...f, pageSize: rows }),
        data.app.backends(),
      ]);
      rates.add(overview.at, overview.counts);
      return {
        overview,
        rows: page.rows,
        finishedRates: [...rates.finished],
        backend: b.names.state,
      };
    },
    detail: (id) => data.detail(id),
  };
}
