import { isFinal } from '../../core/status.js';
import type { HistoryEntry, InvocationFilter, InvocationRecord, NewInvocation, RunnerInfo } from '../../core/records.js';
import type { FinalWatch, StateBackend } from '../state-backend.js';
import type { MemoryStore } from './store.js';

export class MemoryStateBackend implements StateBackend {
  constructor(private readonly s: MemoryStore) {}

  async insert(invs: NewInvocation[], now: number): Promise<string[]> {
    return invs.map(({ registrationKey, concurrency, ...inv }) => {
      if (registrationKey) {
        const existing = this.s.registrations.get(registrationKey);
        if (existing && this.s.invocations.get(existing)?.status === 'REGISTERED') return existing;
        this.s.registrations.set(registrationKey, inv.id);
      }
      this.s.invocations.set(inv.id, {
        ...inv, concurrency: concurrency ?? null, status: 'REGISTERED', owner: null, attempt: 0, result: null, error: null,
        createdAt: now, updatedAt: now,
      });
      this.s.histories.set(inv.id, [{ status: 'REGISTERED', runnerId: null, at: now }]);
      return inv.id;
    });
  }

  async get(id: string): Promise<InvocationRecord | null> {
    const r = this.s.invocations.get(id);
    return r ? { ...r } : null;
  }

  async getMany(ids: string[]): Promise<InvocationRecord[]> {
    const out: InvocationRecord[] = [];
    for (const id of ids) {
      const r = this.s.invocations.get(id);
      if (r) out.push({ ...r });
    }
    return out;
  }

  async history(id: string): Promise<HistoryEntry[]> {
    return (this.s.histories.get(id) ?? []).map((h) => ({ ...h }));
  }

  async list(f: InvocationFilter): Promise<InvocationRecord[]> {
    const out: InvocationRecord[] = [];
    for (const r of this.s.invocations.values()) {
      if (f.taskId !== undefined && r.taskId !== f.taskId) continue;
      if (f.statuses && !f.statuses.includes(r.status)) continue;
      if (f.owner !== undefined && r.owner !== f.owner) continue;
      if (f.createdAfter !== undefined && r.createdAt < f.createdAfter) continue;
      out.push({ ...r });
    }
    out.sort((a, b) => b.createdAt - a.createdAt);
    return f.limit !== undefined ? out.slice(0, f.limit) : out;
  }

  async countByStatus(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of this.s.invocations.values()) out[r.status] = (out[r.status] ?? 0) + 1;
    return out;
  }

  watchFinal(ids: string[]): FinalWatch {
    return this.s.finals.watch(ids, {
      fetchFinal: async (want) => {
        const out: InvocationRecord[] = [];
        for (const id of want) {
          const r = this.s.invocations.get(id);
          if (r && isFinal(r.status)) out.push({ ...r });
        }
        return out;
      },
    });
  }

  async heartbeat(runner: RunnerInfo): Promise<void> {
    this.s.runners.set(runner.id, { ...runner });
  }

  async runners(): Promise<RunnerInfo[]> {
    return [...this.s.runners.values()].map((r) => ({ ...r })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async removeRunner(id: string): Promise<void> {
    this.s.runners.delete(id);
  }

  async close(): Promise<void> {}
}
