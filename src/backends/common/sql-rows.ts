/** The `invocations` table row of the SQL backends (sqlite, postgres: same columns) and its record. */
import type { InvocationRecord } from '../../core/records.js';
import type { Status } from '../../core/status.js';

/** Bigint columns arrive as numbers (postgres: parsed in its connection setup). */
export interface InvocationRow {
  id: string;
  task_id: string;
  args: string;
  status: string;
  owner: string | null;
  attempt: number;
  priority: number;
  parent_id: string | null;
  workflow_id: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  concurrency: string | null;
  /** Per-call limits as JSON (CallLimits); null: none. */
  call_options?: string | null;
}

/**
 * The columns an InvocationRow reads, for statements to return instead of `*`: the row also holds
 * its history (`hist`, an array that grows with each change), its keys and generated columns, which
 * no record needs; sending and parsing them cost the client more than a claim's own work.
 */
const RECORD_COLUMNS = [
  'id',
  'task_id',
  'args',
  'status',
  'owner',
  'attempt',
  'priority',
  'parent_id',
  'workflow_id',
  'result',
  'error',
  'created_at',
  'updated_at',
  'concurrency',
  'call_options',
] as const satisfies ReadonlyArray<keyof InvocationRow>;

/** RECORD_COLUMNS as a SQL select list, of table alias `alias` if given. */
export const recordColumns = (alias?: string): string =>
  RECORD_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');

export function toRecord(r: InvocationRow): InvocationRecord {
  const rec: InvocationRecord = {
    id: r.id,
    taskId: r.task_id,
    args: r.args,
    status: r.status as Status,
    owner: r.owner,
    attempt: r.attempt,
    priority: r.priority,
    parentId: r.parent_id,
    workflowId: r.workflow_id,
    result: r.result,
    error: r.error,
    concurrency: r.concurrency === null ? null : JSON.parse(r.concurrency),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.call_options) {
    rec.callOptions = JSON.parse(r.call_options);
  }
  return rec;
}
