import { InvocationNotFoundError } from '../../core/errors.js';
import { isFinal } from '../../core/status.js';
import type { InvocationRecord, TransitionRequest } from '../../core/records.js';
import { ACQUIRABLE, applyTransition } from '../../orchestration/apply-transition.js';
import type { Orchestrator } from '../orchestrator.js';
import type { MemoryStore } from './store.js';

/** Atomic because each method body runs synchronously on the one event loop. */
export class MemoryOrchestrator implements Orchestrator {
  constructor(private readonly s: MemoryStore) {}

  private apply(req: TransitionRequest, now: number): InvocationRecord {
    const rec = this.s.invocations.get(req.id);
    if (!rec) throw new InvocationNotFoundError(req.id);
    const { record, entry } = applyTransition(rec, req, now);
    this.s.invocations.set(req.id, record);
    this.s.histories.get(req.id)!.push(entry);
    return record;
  }

  async transition(req: TransitionRequest, now: number): Promise<InvocationRecord> {
    const rec = this.apply(req, now);
    if (isFinal(rec.status)) this.s.finals.publish([rec]);
    return { ...rec };
  }

  async transitionMany(reqs: TransitionRequest[], now: number): Promise<Array<InvocationRecord | Error>> {
    const out: Array<InvocationRecord | Error> = [];
    const finals: InvocationRecord[] = [];
    for (const req of reqs) {
      try {
        const rec = this.apply(req, now);
        if (isFinal(rec.status)) finals.push(rec);
        out.push({ ...rec });
      } catch (err) {
        out.push(err as Error);
      }
    }
    this.s.finals.publish(finals);
    return out;
  }

  async acquire(ids: string[], runnerId: string, now: number): Promise<InvocationRecord[]> {
    const out: InvocationRecord[] = [];
    for (const id of ids) {
      const rec = this.s.invocations.get(id);
      if (!rec || !ACQUIRABLE.has(rec.status)) continue;
      out.push({ ...this.apply({ id, to: 'PENDING', runnerId }, now) });
    }
    return out;
  }

  async ownedByOthers(live: string[], statuses: string[]): Promise<InvocationRecord[]> {
    const liveSet = new Set(live);
    return [...this.s.invocations.values()]
      .filter((r) => r.owner !== null && !liveSet.has(r.owner) && statuses.includes(r.status))
      .map((r) => ({ ...r }));
  }

  async staleIn(status: string, before: number): Promise<InvocationRecord[]> {
    return [...this.s.invocations.values()].filter((r) => r.status === status && r.updatedAt < before).map((r) => ({ ...r }));
  }

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const cur = this.s.leases.get(name);
    if (cur && cur.holder !== holder && cur.expiresAt > now) return false;
    this.s.leases.set(name, { holder, expiresAt: now + ttlMs });
    return true;
  }

  async purge(before: number): Promise<number> {
    let n = 0;
    for (const [id, r] of this.s.invocations) {
      if (isFinal(r.status) && r.updatedAt < before) {
        this.s.invocations.delete(id);
        this.s.histories.delete(id);
        this.s.logs.delete(id);
        n++;
      }
    }
    return n;
  }
}
