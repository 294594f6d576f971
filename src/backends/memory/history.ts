/**
 * An invocation's status history as the memory backend keeps it: one flat array of
 * (status, runnerId, at) triples rather than an array of entry objects. Entries written in the same
 * batch share one `at` number, and a final history is trimmed to its exact size; an entry object
 * is made only when someone reads the history. About a third of the memory of the object form.
 */
import type { HistoryEntry } from '../../core/records.js';
import type { Status } from '../../core/status.js';

export type HistoryLog = Array<Status | string | number | null>;

export function newHistory(entry: HistoryEntry): HistoryLog {
  return [entry.status, entry.runnerId, entry.at];
}

/** Appends `entry`; `final`: no more entries will follow, so the array is trimmed to size. */
export function appendHistory(log: HistoryLog, entry: HistoryEntry, final: boolean): HistoryLog {
  log.push(entry.status, entry.runnerId, entry.at);
  return final ? log.slice() : log;
}

export function historyEntries(log: HistoryLog): HistoryEntry[] {
  const out: HistoryEntry[] = new Array(log.length / 3);
  for (let i = 0, k = 0; i < log.length; i += 3, k++) {
    out[k] = {
      status: log[i] as Status,
      runnerId: log[i + 1] as string | null,
      at: log[i + 2] as number,
    };
  }
  return out;
}
