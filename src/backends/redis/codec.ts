/** How records, history entries and optional values cross between TypeScript and the Lua scripts. */
import {
  IllegalTransitionError,
  InvocationNotFoundError,
  WrongOwnerError,
} from '../../core/errors.js';
import type {
  ConcurrencyControl,
  HistoryEntry,
  InvocationRecord,
  NewInvocation,
  QueueItem,
  RouteRequest,
  TransitionRequest,
} from '../../core/records.js';
import { OWNED_STATUSES, type Status } from '../../core/status.js';

/** An optional value: '=' + value, or '-' for none (see dec() in lua/lib.lua). */
export const enc = (v: string | null | undefined): string =>
  v === null || v === undefined ? '-' : `=${v}`;
const dec = (v: string): string | null => (v.startsWith('=') ? v.slice(1) : null);

/**
 * The fields a record crosses as, in order: a script replies a record as a row (its values, false
 * or nil for a missing one; lua/lib.lua gets this list in its prelude, see scripts.ts). The hash
 * holds more (cckey, regkey) that no reply carries.
 */
export const RECORD_FIELDS = [
  'id',
  'task',
  'args',
  'status',
  'owner',
  'attempt',
  'priority',
  'parent',
  'workflow',
  'cc',
  'result',
  'error',
  'created',
  'updated',
  'co',
] as const;

export type Row = Array<string | null | false | undefined>;
const str = (v: string | null | false | undefined): string | null =>
  typeof v === 'string' ? v : null;

/** A row (see RECORD_FIELDS: what a script replies for a record it changed) -> record; null for an empty row (a missing record). */
export function toRecord(row: Row): InvocationRecord | null {
  if (!row.length || !str(row[3])) {
    return null;
  }
  // By index (RECORD_FIELDS' order): a claim reads hundreds of rows, and mapping each row into an
  // array first was a few percent of a runner's garbage.
  const status = row[3] as Status;
  const owner = str(row[4]);
  const attempt = str(row[5]);
  const priority = str(row[6]);
  const cc = str(row[9]);
  const rec: InvocationRecord = {
    id: str(row[0])!,
    taskId: str(row[1])!,
    args: str(row[2])!,
    status,
    // Left in the hash when the invocation leaves an owned status (lua/lib.lua, apply_path).
    owner: owner && OWNED_STATUSES.has(status) ? owner : null,
    attempt: Number(attempt ?? 0),
    priority: Number(priority ?? 5),
    parentId: str(row[7]),
    workflowId: str(row[8]),
    concurrency: cc ? (JSON.parse(cc) as ConcurrencyControl) : null,
    result: str(row[10]),
    error: str(row[11]),
    createdAt: Number(str(row[12])),
    updatedAt: Number(str(row[13])),
  };
  const co = str(row[14]);
  if (co) {
    rec.callOptions = JSON.parse(co) as InvocationRecord['callOptions'];
  }
  return rec;
}

/** Final records longer than this (JSON row) are not carried in the `final` message (lua/lib.lua). */
export const FINAL_ROW_MAX = 8192;

/** A record -> its row (toRecord's inverse; numbers as the strings the hash holds). */
export function toRow(rec: InvocationRecord): Row {
  const row: Row = [
    rec.id,
    rec.taskId,
    rec.args,
    rec.status,
    rec.owner,
    String(rec.attempt),
    String(rec.priority),
    rec.parentId,
    rec.workflowId,
    rec.concurrency ? JSON.stringify(rec.concurrency) : null,
    rec.result,
    rec.error,
    String(rec.createdAt),
    String(rec.updatedAt),
    rec.callOptions ? JSON.stringify(rec.callOptions) : null,
  ];
  return row;
}

export function toRecords(rows: Row[]): InvocationRecord[] {
  const out: InvocationRecord[] = [];
  for (const r of rows) {
    const rec = toRecord(r);
    if (rec) {
      out.push(rec);
    }
  }
  return out;
}

/** A record as HGETALL pairs (what the scripts reply for a record they only read) -> record. */
export function pairsToRecord(pairs: string[]): InvocationRecord | null {
  const h: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    h[pairs[i]!] = pairs[i + 1]!;
  }
  return toRecord(pairs.length ? RECORD_FIELDS.map((f) => h[f]) : []);
}

export function pairsToRecords(rows: string[][]): InvocationRecord[] {
  const out: InvocationRecord[] = [];
  for (const r of rows) {
    const rec = pairsToRecord(r);
    if (rec) {
      out.push(rec);
    }
  }
  return out;
}

/** 'at|STATUS' or 'at|STATUS|runnerId'. */
export function toHistoryEntry(s: string): HistoryEntry {
  const a = s.indexOf('|');
  const b = s.indexOf('|', a + 1);
  return {
    at: Number(s.slice(0, a)),
    status: (b < 0 ? s.slice(a + 1) : s.slice(a + 1, b)) as Status,
    runnerId: b < 0 ? null : s.slice(b + 1),
  };
}

/** Per invocation, the 10 values lua/insert.lua reads. */
export function insertArgs(invs: NewInvocation[]): string[] {
  const out: string[] = [];
  for (const i of invs) {
    pushInsertArgs(out, i);
  }
  return out;
}

/** One invocation's values for lua/insert.lua, appended to `out`. */
export function pushInsertArgs(out: string[], i: NewInvocation): void {
  out.push(
    i.id,
    i.taskId,
    i.args,
    String(i.priority),
    enc(i.parentId),
    enc(i.workflowId),
    enc(i.registrationKey),
    enc(i.concurrency?.key),
    enc(i.concurrency ? JSON.stringify(i.concurrency) : null),
    enc(i.callOptions ? JSON.stringify(i.callOptions) : null),
  );
}

/** The reply of lua/acquire.lua (acquire_reply in lib.lua). */
export function toAcquireReply(reply: unknown): {
  acquired: InvocationRecord[];
  requeue: QueueItem[];
  finals: InvocationRecord[];
} {
  const v = JSON.parse(String(reply)) as { a?: unknown; r?: unknown; f?: unknown };
  const list = <T>(x: unknown): T[] => (Array.isArray(x) ? (x as T[]) : []);
  return {
    acquired: toRecords(list<string[]>(v.a)),
    requeue: list<[string, string, string]>(v.r).map(([id, priority, notBefore]) => ({
      id,
      priority: Number(priority),
      notBefore: Number(notBefore),
    })),
    finals: toRecords(list<string[]>(v.f)),
  };
}

export function transitionArgs(reqs: RouteRequest[]): string[] {
  return pushTransitionArgs([], reqs);
}

/** The 7 values per change lua/transition.lua reads, appended to `out` (returned). */
export function pushTransitionArgs(out: string[], reqs: readonly RouteRequest[]): string[] {
  for (const r of reqs) {
    out.push(
      r.id,
      r.to,
      enc(r.runnerId),
      enc(r.result),
      enc(r.error),
      enc(r.via?.length ? r.via.join(',') : null),
      enc(r.notBefore === undefined ? null : String(Math.round(r.notBefore))),
    );
  }
  return out;
}

/** A Lua error tuple -> the typed error the interface promises. */
export function transitionError(req: TransitionRequest, e: string[]): Error {
  if (e[0] === 'notfound') {
    return new InvocationNotFoundError(req.id);
  }
  if (e[0] === 'illegal') {
    return new IllegalTransitionError(req.id, e[1]!, req.to);
  }
  return new WrongOwnerError(req.id, e[1]!, req.to, dec(e[2]!), req.runnerId);
}

/** cjson encodes an empty Lua table as {}: read it as an empty list. */
export function jsonList<T>(reply: unknown): T[] {
  const v = JSON.parse(String(reply)) as T[] | Record<string, never>;
  return Array.isArray(v) ? v : [];
}
