/**
 * Status changes that PostgreSQL validates itself, so writing them needs no read round trip first.
 * Each request carries the statuses the state machine allows it from (inverted from TRANSITIONS in
 * src/core/status.ts) and whether the owner must match: the same rules as checkTransition, applied
 * by the UPDATE's WHERE (atomic: the row is re-checked under its lock). A request whose row does not
 * match is left untouched and not returned; the caller sends those through the JavaScript path,
 * which reports why (illegal move, wrong owner, not found).
 */
import type { InvocationRecord, TransitionRequest } from '../../core/records.js';
import {
  FINAL_STATUSES,
  OWNED_STATUSES,
  RECOVERY_STATUSES,
  STATUSES,
  TRANSITIONS,
  type Status,
} from '../../core/status.js';
import { recordColumns, toRecord, type InvocationRow } from '../common/sql-rows.js';
import { PgDb, stmt, type TxClient } from './db.js';
import { appendHist, histEntry } from './history.js';
import { syncOwned } from './owned.js';
import { afterWrite } from '../common/started-records.js';

/** Per target status: the statuses it may be reached from, comma-joined. */
const FROM = Object.fromEntries(
  STATUSES.map((to) => [to, STATUSES.filter((from) => TRANSITIONS[from].includes(to)).join(',')]),
) as Record<Status, string>;
const OWNED_LIST = [...OWNED_STATUSES];

// Owner after the move and attempt count follow applyTransition (src/orchestration/apply-transition.ts).
// The NOTIFY of those that would be final ($11 on channel $10) is part of the statement (a CTE that
// writes nothing runs only when read: hence the WHERE). Listeners re-read what they are told of and
// keep only final records, so announcing a request that did not apply is harmless.
const checkedStmt = (name: string, returning: string) =>
  stmt(
    name,
    `WITH u AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[])
      WITH ORDINALITY AS u(id, to_status, runner, result, error, froms, check_owner, ord)),
  upd AS (
    UPDATE invocations i SET status = u.to_status,
      owner = CASE WHEN u.to_status = ANY($9::text[]) THEN (CASE WHEN i.status = ANY($9::text[]) THEN i.owner ELSE u.runner END) END,
      attempt = i.attempt + (u.to_status = 'RUNNING')::int,
      result = coalesce(u.result, i.result), error = coalesce(u.error, i.error), updated_at = $8,
      hist = ${appendHist('i', `ARRAY[${histEntry('$8::bigint', 'u.to_status', 'u.runner')}]`)}
    FROM u
    WHERE i.id = ANY($1::text[]) AND i.id = u.id AND i.status = ANY(string_to_array(u.froms, ','))
      AND (NOT u.check_owner OR NOT i.status = ANY($9::text[]) OR i.owner IS NOT DISTINCT FROM u.runner)
    RETURNING ${returning}),
  ${syncOwned('upd', '$8::bigint')},
  announced AS (SELECT count(pg_notify($10, p)) AS n FROM unnest($11::text[]) AS p)
  SELECT upd.* FROM upd WHERE (SELECT n FROM announced) >= 0`,
  );
const CHECKED = checkedStmt('checked', recordColumns('i'));
// For requests whose records the caller holds (StartedRecords): only what the write decided.
const CHECKED_COMPACT = checkedStmt('checked_compact', 'i.id, i.owner, i.attempt, u.ord');

/** Requests this statement can take: one per invocation (a row changes once per statement), single steps (no `via`). */
export function checkable(reqs: TransitionRequest[]): boolean {
  return new Set(reqs.map((r) => r.id)).size === reqs.length && !reqs.some((r) => r.via?.length);
}

/**
 * Issues the checked write of `reqs` (and the NOTIFY of those that would be final: one statement,
 * so alone it needs no transaction around it) on `c`, without waiting; resolves to the records
 * that changed, by id. `known`: each request's record as it started (StartedRecords), so the
 * statement returns only what it decided instead of whole records.
 */
export function issueChecked(
  c: TxClient,
  d: PgDb,
  reqs: TransitionRequest[],
  now: number,
  known?: readonly InvocationRecord[],
): Promise<Map<string, InvocationRecord>> {
  const finals = reqs.filter((r) => FINAL_STATUSES.has(r.to)).map((r) => r.id);
  const values = [
    reqs.map((r) => r.id),
    reqs.map((r) => r.to),
    reqs.map((r) => r.runnerId),
    reqs.map((r) => r.result ?? null),
    reqs.map((r) => r.error ?? null),
    reqs.map((r) => FROM[r.to]),
    reqs.map((r) => !RECOVERY_STATUSES.has(r.to)),
    now,
    OWNED_LIST,
    d.channel,
    finals.length ? PgDb.finalPayloads(finals) : [],
  ];
  const records = known
    ? c.query<CompactRow>(CHECKED_COMPACT, values).then(
        (res) =>
          new Map(
            res.rows.map((row) => {
              // ord: the request's place in the batch, from 1 (WITH ORDINALITY).
              const after = { owner: row.owner, attempt: row.attempt, updatedAt: now };
              return [row.id, afterWrite(known[row.ord - 1]!, reqs[row.ord - 1]!, after)];
            }),
          ),
      )
    : c
        .query<InvocationRow>(CHECKED, values)
        .then((res) => new Map(res.rows.map((r) => [r.id, toRecord(r)])));
  // The caller awaits this after the statements pipelined with it; when one of those fails first
  // (a dropped connection), this one is never awaited and must not become an unhandled rejection.
  records.catch(() => {});
  return records;
}

type CompactRow = { id: string; owner: string | null; attempt: number; ord: number };
