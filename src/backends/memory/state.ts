import { isFinal } from '../../core/status.js';
import type {
  HistoryEntry,
  InvocationExtras,
  InvocationFilter,
  InvocationRecord,
  LogRecord,
  NewInvocation,
  RunnerInfo,
} from '../../core/records.js';
import type { FinalWatch, StateBackend } from '../state-backend.js';
import type { MemoryStore } from './store.js';
import { historyEntries, newHistory } from './history.js';

/**
 * A REGISTERED record written field by field: every record gets the same object shape, which keeps
 * later copies and updates on V8's fast path (rest/spread of the NewInvocation made slow
 * dictionary-mode objects, about 25x slower to build and copy).
 */
function newRecord(inv: NewInvocation, now: number): InvocationRecord {
  const rec: InvocationRecord = {
    id: inv.id,
    taskId: inv.taskId,
    args: inv.args,
    priority: inv.priority,
    parentId: inv.parentId,
    workflowId: inv.workflowId,
    concurrency: inv.concurrency ?? null,
    status: 'REGISTERED',
    owner: null,
    attempt: 0,
    result: null,
    error: null,
    createdAt: now,
    updatedAt: now,
  };
  if (inv.callOptions) {
    rec.callOptions = inv.callOptions;
  }
  return rec;
}

export class MemoryStateBackend implements StateBackend {
  constructor(private readonly store: MemoryStore) {}

  async insert(invs: NewInvocation[], now: number): Promise<string[]> {
    const ids: string[] = new Array(invs.length);
    for (let k = 0; k < invs.length; k++) {
      const inv = invs[k]!;
      // An id already stored is left as it is (an idempotency key, or a resent insert).
      if (this.store.invocations.has(inv.id)) {
        ids[k] = inv.id;
        continue;
      }
      const key = inv.registrationKey;
      if (key) {
        const existing = this.store.registrations.get(key);
        if (existing && this.store.invocations.get(existing)?.status === 'REGISTERED') {
          ids[k] = existing;
          continue;
        }
        this.store.registrations.set(key, inv.id);
      }
      this.store.invocations.set(inv.id, newRecord(inv, now));
      this.store.histories.set(
        inv.id,
        newHistory({ status: 'REGISTERED', runnerId: null, at: now }),
      );
      ids[k] = inv.id;
    }
    return ids;
  }

  async get(id: string): Promise<InvocationRecord | null> {
    const r = this.store.invocations.get(id);
    return r ? { ...r } : null;
  }

  async getMany(ids: string[]): Promise<InvocationRecord[]> {
    const out: InvocationRecord[] = [];
    for (const id of ids) {
      const r = this.store.invocations.get(id);
      if (r) {
        out.push({ ...r });
      }
    }
    return out;
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const h = this.store.histories.get(id);
    return h ? historyEntries(h) : [];
  }

  async historyMany(ids: string[]): Promise<Record<string, HistoryEntry[]>> {
    const out: Record<string, HistoryEntry[]> = {};
    for (const id of ids) {
      const h = this.store.histories.get(id);
      if (h) {
        out[id] = historyEntries(h);
      }
    }
    return out;
  }

  async list(f: InvocationFilter): Promise<InvocationRecord[]> {
    const out: InvocationRecord[] = [];
    for (const r of this.store.invocations.values()) {
      if (f.taskId !== undefined && r.taskId !== f.taskId) {
        continue;
      }
      if (f.statuses && !f.statuses.includes(r.status)) {
        continue;
      }
      if (f.owner !== undefined && r.owner !== f.owner) {
        continue;
      }
      if (f.parentId !== undefined && r.parentId !== f.parentId) {
        continue;
      }
      if (f.createdAfter !== undefined && r.createdAt < f.createdAfter) {
        continue;
      }
      if (f.createdBefore !== undefined && r.createdAt >= f.createdBefore) {
        continue;
      }
      out.push({ ...r });
    }
    // Newest first; insertion order (the map's) breaks ties, latest inserted first, as sqlite's rowid.
    const seq = out
      .map((r, i) => [r, i] as const)
      .sort((a, b) => b[0].createdAt - a[0].createdAt || b[1] - a[1])
      .map(([r]) => r);
    const start = f.offset ?? 0;
    return seq.slice(start, f.limit !== undefined ? start + f.limit : undefined);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of this.store.invocations.values()) {
      out[r.status] = (out[r.status] ?? 0) + 1;
    }
    return out;
  }

  watchFinal(ids: string[]): FinalWatch {
    return this.store.finals.watch(ids, {
      fetchFinal: async (want) => {
        const out: InvocationRecord[] = [];
        for (const id of want) {
          const r = this.store.invocations.get(id);
          if (r && isFinal(r.status)) {
            out.push({ ...r });
          }
        }
        return out;
      },
    });
  }

  async heartbeat(runner: RunnerInfo): Promise<void> {
    this.store.runners.set(runner.id, { ...runner });
  }

  async runners(): Promise<RunnerInfo[]> {
    return [...this.store.runners.values()]
      .map((r) => ({ ...r }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async removeRunner(id: string): Promise<void> {
    this.store.runners.delete(id);
  }

  async setExtras(id: string, patch: Partial<InvocationExtras>): Promise<void> {
    const cur = this.store.extras.get(id) ?? { rerunOf: null, progress: null };
    this.store.extras.set(id, {
      rerunOf: cur.rerunOf ?? patch.rerunOf ?? null,
      progress: patch.progress ? { ...patch.progress } : cur.progress,
    });
  }

  async extras(ids: string[]): Promise<Record<string, InvocationExtras>> {
    const out: Record<string, InvocationExtras> = {};
    for (const id of ids) {
      const x = this.store.extras.get(id);
      if (x) {
        out[id] = { rerunOf: x.rerunOf, progress: x.progress && { ...x.progress } };
      }
    }
    return out;
  }

  async appendLogs(lines: LogRecord[]): Promise<void> {
    for (const l of lines) {
      let list = this.store.logs.get(l.invocationId);
      if (!list) {
        this.store.logs.set(l.invocationId, (list = []));
      }
      list.push({ ...l, fields: { ...l.fields } });
    }
  }

  async logs(invocationId: string): Promise<LogRecord[]> {
    return (this.store.logs.get(invocationId) ?? []).map((l) => ({
      ...l,
      fields: { ...l.fields },
    }));
  }

  async close(): Promise<void> {}
}
