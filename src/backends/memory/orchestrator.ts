import { InvocationNotFoundError } from '../../core/errors.js';
import { isFinal, QUEUED_STATUSES } from '../../core/status.js';
import type {
  AcquireResult,
  InvocationRecord,
  QueueItem,
  TransitionRequest,
} from '../../core/records.js';
import { ACTIVE_STATUSES } from '../../orchestration/concurrency.js';
import { planAcquire, type ScopeWindow } from '../../orchestration/acquire-planner.js';
import { ACQUIRABLE, applyPath, isRepeated } from '../../orchestration/apply-transition.js';
import type { Orchestrator, PurgeScope } from '../orchestrator.js';
import { taskInScope } from '../common/purge-scope.js';
import type { MemoryStore } from './store.js';
import { appendHistory } from './history.js';

/** Atomic because each method body runs synchronously on the one event loop. */
export class MemoryOrchestrator implements Orchestrator {
  constructor(private readonly store: MemoryStore) {}

  private apply(req: TransitionRequest, now: number): InvocationRecord {
    const rec = this.store.invocations.get(req.id);
    if (!rec) {
      throw new InvocationNotFoundError(req.id);
    }
    if (isRepeated(rec, req)) {
      return rec;
    }
    const { record, entries } = applyPath(rec, req, now);
    this.store.invocations.set(req.id, record);
    const log = this.store.histories.get(req.id)!;
    let logged = log;
    entries.forEach((entry, i) => {
      logged = appendHistory(logged, entry, i === entries.length - 1 && isFinal(record.status));
    });
    if (logged !== log) {
      this.store.histories.set(req.id, logged);
    }
    const key = record.concurrency?.key;
    if (key !== undefined) {
      let set = this.store.active.get(key);
      if (ACTIVE_STATUSES.has(record.status)) {
        if (!set) {
          this.store.active.set(key, (set = new Set()));
        }
        set.add(record.id);
      } else if (set?.delete(record.id) && set.size === 0) {
        this.store.active.delete(key);
      }
    }
    return record;
  }

  async transition(req: TransitionRequest, now: number): Promise<InvocationRecord> {
    const rec = this.apply(req, now);
    if (isFinal(rec.status)) {
      this.store.finals.publish([rec]);
    }
    return { ...rec };
  }

  async transitionMany(
    reqs: TransitionRequest[],
    now: number,
  ): Promise<Array<InvocationRecord | Error>> {
    const out: Array<InvocationRecord | Error> = [];
    const finals: InvocationRecord[] = [];
    for (const req of reqs) {
      try {
        const rec = this.apply(req, now);
        if (isFinal(rec.status)) {
          finals.push(rec);
        }
        out.push({ ...rec });
      } catch (err) {
        out.push(err as Error);
      }
    }
    this.store.finals.publish(finals);
    return out;
  }

  async acquire(ids: string[], runnerId: string, now: number): Promise<AcquireResult> {
    const acquired: InvocationRecord[] = [];
    const requeue: QueueItem[] = [];
    const finals: InvocationRecord[] = [];
    const scopes = new Map<string, ScopeWindow>();
    for (const id of ids) {
      const rec = this.store.invocations.get(id);
      if (!rec || !ACQUIRABLE.has(rec.status)) {
        continue;
      }
      const key = rec.concurrency?.key;
      const plan = planAcquire(rec, key === undefined ? undefined : this.scope(scopes, key), now);
      if (plan.kind === 'blocked') {
        let last = rec;
        for (const to of plan.path) {
          last = this.apply({ id, to, runnerId }, now);
        }
        if (plan.requeue) {
          requeue.push(plan.requeue);
        } else {
          finals.push(last);
        }
        continue;
      }
      acquired.push({ ...this.apply({ id, to: 'PENDING', runnerId }, now) });
    }
    // The windows as the plans left them (pruned to each window, starts and reservations added).
    for (const [key, scope] of scopes) {
      this.store.rateMarks.set(key, scope.marks);
    }
    this.store.finals.publish(finals);
    return { acquired, requeue };
  }

  private scope(scopes: Map<string, ScopeWindow>, key: string): ScopeWindow {
    let scope = scopes.get(key);
    if (!scope) {
      scope = {
        active: this.store.active.get(key)?.size ?? 0,
        marks: this.store.rateMarks.get(key) ?? [],
      };
      scopes.set(key, scope);
    }
    return scope;
  }

  async ownedByOthers(live: string[], statuses: string[]): Promise<InvocationRecord[]> {
    const liveSet = new Set(live);
    return [...this.store.invocations.values()]
      .filter((r) => r.owner !== null && !liveSet.has(r.owner) && statuses.includes(r.status))
      .map((r) => ({ ...r }));
  }

  async ownedBy(runnerId: string, statuses: string[]): Promise<InvocationRecord[]> {
    return [...this.store.invocations.values()]
      .filter((r) => r.owner === runnerId && statuses.includes(r.status))
      .map((r) => ({ ...r }));
  }

  async staleIn(status: string, before: number): Promise<InvocationRecord[]> {
    return [...this.store.invocations.values()]
      .filter((r) => r.status === status && r.updatedAt < before)
      .map((r) => ({ ...r }));
  }

  async claimStranded(ids: string[], before: number, now: number): Promise<InvocationRecord[]> {
    const out: InvocationRecord[] = [];
    for (const id of ids) {
      const r = this.store.invocations.get(id);
      if (r && QUEUED_STATUSES.has(r.status) && r.updatedAt < before) {
        const touched = { ...r, updatedAt: now };
        this.store.invocations.set(id, touched);
        out.push({ ...touched });
      }
    }
    return out;
  }

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const cur = this.store.leases.get(name);
    if (cur && cur.holder !== holder && cur.expiresAt > now) {
      return false;
    }
    this.store.leases.set(name, { holder, expiresAt: now + ttlMs });
    return true;
  }

  async purge(before: number, scope?: PurgeScope): Promise<number> {
    let n = 0;
    const limit = scope?.limit ?? Infinity;
    for (const [id, r] of this.store.invocations) {
      if (n >= limit) {
        break;
      }
      const parent = r.parentId ? this.store.invocations.get(r.parentId) : undefined;
      if (
        isFinal(r.status) &&
        r.updatedAt < before &&
        taskInScope(r.taskId, scope) &&
        (!parent || isFinal(parent.status))
      ) {
        this.store.invocations.delete(id);
        this.store.histories.delete(id);
        this.store.logs.delete(id);
        this.store.extras.delete(id);
        n++;
      }
    }
    return n;
  }
}
