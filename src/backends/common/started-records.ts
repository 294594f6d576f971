/**
 * The records a hot path started, kept until a write leaves them unowned: a runner's outcome batch
 * then needs from the server only what the write decided (owner, attempt), not whole records, since
 * the rest of a record does not change while it runs (redis finish_claim, postgres CHECKED).
 */
import type { InvocationRecord, TransitionRequest } from '../../core/records.js';

/** What a status write decided besides the status itself. */
export interface WriteOutcome {
  owner: string | null;
  attempt: number;
  updatedAt: number;
}

/**
 * The record after `req` as the backend wrote it: status, result and error if given, and what the
 * write decided (`after`); every other field is as the record started.
 */
export function afterWrite(
  prev: InvocationRecord,
  req: TransitionRequest,
  after: WriteOutcome,
): InvocationRecord {
  return {
    ...prev,
    status: req.to,
    owner: after.owner,
    attempt: after.attempt,
    result: req.result ?? prev.result,
    error: req.error ?? prev.error,
    updatedAt: after.updatedAt,
  };
}

/**
 * How many started records are kept (far above a runner's slots and prefetch). A record whose
 * outcome a path that does not see them wrote (on redis, a runner's lone outcome, through the
 * orchestrator) is let go only once the bound is passed, oldest first.
 */
export const MAX_STARTED_KEPT = 20_000;

/** Records in flight: those started here, until a write leaves them unowned. */
export class StartedRecords {
  private readonly byId = new Map<string, InvocationRecord>();

  constructor(private readonly max = MAX_STARTED_KEPT) {}

  add(recs: InvocationRecord[]): InvocationRecord[] {
    recs.forEach((r) => this.byId.set(r.id, r));
    if (this.byId.size > this.max) {
      // Only a cache: a miss costs whole records in one reply. A Map iterates oldest first.
      for (const id of this.byId.keys()) {
        this.byId.delete(id);
        if (this.byId.size <= this.max) {
          break;
        }
      }
    }
    return recs;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): InvocationRecord | undefined {
    return this.byId.get(id);
  }

  /** The record of each request, or undefined unless every one is known here. */
  allOf(reqs: readonly TransitionRequest[]): InvocationRecord[] | undefined {
    const known: InvocationRecord[] = [];
    for (const r of reqs) {
      const rec = this.byId.get(r.id);
      if (!rec) {
        return undefined;
      }
      known.push(rec);
    }
    return known;
  }

  forget(id: string | undefined): void {
    if (id !== undefined) {
      this.byId.delete(id);
    }
  }

  /** A whole record from the server: kept while still owned. */
  replace(rec: InvocationRecord): InvocationRecord {
    this.keepIfOwned(rec);
    return rec;
  }

  /** The record after `req` (see afterWrite()). */
  update(prev: InvocationRecord, req: TransitionRequest, after: WriteOutcome): InvocationRecord {
    const rec = afterWrite(prev, req, after);
    this.keepIfOwned(rec);
    return rec;
  }

  private keepIfOwned(rec: InvocationRecord): void {
    if (rec.owner === null) {
      this.byId.delete(rec.id);
    } else if (this.byId.has(rec.id)) {
      this.byId.set(rec.id, rec);
    }
  }
}
