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

/** A bound on StartedRecords (far above any runner's concurrency). */
const MAX_STARTED_KEPT = 100_000;

/** Records in flight: those started here, until a write leaves them unowned. */
export class StartedRecords {
  private readonly byId = new Map<string, InvocationRecord>();

  add(recs: InvocationRecord[]): InvocationRecord[] {
    if (this.byId.size > MAX_STARTED_KEPT) {
      this.byId.clear(); // only a cache: a miss costs whole records in one reply
    }
    recs.forEach((r) => this.byId.set(r.id, r));
    return recs;
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
